/**
 * A config file whose read blocks, as on a hung NFS mount (issue 16): a real FUSE file system
 * (test/fixtures/config/hung-fs.py, Debian's python3-fusepy) whose reads stop answering on demand. Before,
 * `reload` read the [include]d file with readSync on the event loop: procinit stopped reaping, forwarding
 * signals and answering status for as long as the read hung. Now the reload reads on libuv's thread pool,
 * status goes on, and the reload is refused with one line after READ_TIMEOUT_MS; nothing changes. The same
 * for the other fs calls of a reload: the [include] glob's readdir(2) and the stat(2) of `-e`/`.env` files,
 * procinit.toml and directories (src/config/fs-answers.ts); before, they ran on the event loop.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { askWhile, canFuse, HungFs, type HungCall } from '../helpers/hung-fs.js';
import { startProcinit, tempDir } from '../helpers/procinit.js';
import { READ_TIMEOUT_MS } from '../../src/config/text-file.js';
import { startRun, type Run } from './control-harness.js';

let hung: HungFs | null = null;
let run: Run | null = null;
afterEach(async () => {
  hung?.release(); // let every hung call return before procinit stops
  await run?.stop();
  run = null;
  hung?.unmount();
  hung = null;
});

/** Reload while status is asked every 200 ms: the reload's answer, how many status answers, the slowest. */
function reloadWatched(r: Run) {
  return askWhile(r.ctl('reload'), () => r.ctl('status'));
}

describe.skipIf(!canFuse)('a config file on a file system whose reads hang', () => {
  it('reload: status answered while the read hangs, then refused in one line; the next reload works once it answers', async () => {
    hung = await HungFs.mount(tempDir());
    const { mnt } = hung;
    run = await startRun(
      { 'supervisord.conf': `[supervisord]\n[program:base]\ncommand=sleep 300\nstartsecs=0\n[include]\nfiles = ${mnt}/*.conf\n` },
      ['-c', 'supervisord.conf'],
    );
    await run.w.waitFor(/spawned: 'extra'/);

    hung.hang('read'); // from now on a read of extra.conf does not return
    const { result: r, answered, slowest, took } = await reloadWatched(run);
    console.log(`[reliability] hung-config-read: reload refused after ${took} ms, ${answered} status answers meanwhile, slowest ${slowest} ms`);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`extra\\.conf: no answer from the file system within ${READ_TIMEOUT_MS / 1000} s \\(a hung mount\\?\\)`));
    expect(run.w.output).toMatch(/reload refused, nothing changed: .*extra\.conf: no answer from the file system/);
    expect(answered).toBeGreaterThanOrEqual(5); // before: none (the event loop sat in read(2))
    expect(took).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 100);

    // still hung: refused at once (the first read still holds its thread), programs untouched
    const again = await run.ctl('reload');
    expect(`${again.stdout}${again.stderr}`).toMatch(/an earlier read of it has had no answer for \d+ s/);
    expect((await run.ctl('status')).stdout).toMatch(/extra +RUNNING/);

    hung.answer('read'); // the server answers again: the hung read returns, the next reload reads normally
    let ok = await run.ctl('reload');
    for (let i = 0; ok.code !== 0 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = await run.ctl('reload');
    }
    expect(ok.code).toBe(0);
  }, 60_000);

  it('reload: an [include] glob whose readdir hangs, then an -e file whose stat hangs: status answered, each refused in one line', async () => {
    hung = await HungFs.mount(tempDir());
    const { mnt } = hung;
    run = await startRun(
      { 'supervisord.conf': `[supervisord]\n[program:base]\ncommand=sleep 300\nstartsecs=0\n[include]\nfiles = ${mnt}/*.conf\n` },
      ['-c', 'supervisord.conf', '-e', `${mnt}/app.env`],
    );
    await run.w.waitFor(/spawned: 'extra'/);
    const refused = (path: string): RegExp => new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no answer from the file system within ${READ_TIMEOUT_MS / 1000} s \\(a hung mount\\?\\)`);

    hung.hang('readdir'); // readdir(2) of the mount does not return
    const a = await reloadWatched(run);
    console.log(`[reliability] hung-readdir: reload refused after ${a.took} ms, ${a.answered} status answers meanwhile, slowest ${a.slowest} ms`);
    expect(a.result.code).not.toBe(0);
    expect(`${a.result.stdout}${a.result.stderr}`).toMatch(refused(mnt));
    expect(a.answered).toBeGreaterThanOrEqual(5); // before: none (the event loop sat in getdents(2))
    expect(a.took).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 100);
    hung.answer('readdir');

    hung.hang('stat'); // stat(2) of a file in the mount does not return
    const b = await reloadWatched(run);
    console.log(`[reliability] hung-stat: reload refused after ${b.took} ms, ${b.answered} status answers meanwhile, slowest ${b.slowest} ms`);
    expect(b.result.code).not.toBe(0);
    expect(`${b.result.stdout}${b.result.stderr}`).toMatch(refused(`${mnt}/app.env`));
    expect(b.answered).toBeGreaterThanOrEqual(5); // before: none (the event loop sat in stat(2))
    expect((await run.ctl('status')).stdout).toMatch(/extra +RUNNING/);
    hung.answer('stat');

    let ok = await run.ctl('reload');
    for (let i = 0; ok.code !== 0 && i < 50; i++) {
      await new Promise((res) => setTimeout(res, 100));
      ok = await run.ctl('reload');
    }
    expect(ok.code).toBe(0);
  }, 90_000);

  it('start: the first load (synchronous) on a hung file system ends in one line and exit 2 after the timeout', async () => {
    const dir = tempDir();
    hung = await HungFs.mount(dir);
    const { mnt } = hung;
    writeFileSync(join(dir, 'supervisord.conf'), `[supervisord]\n[program:base]\ncommand=sleep 300\nstartsecs=0\n[include]\nfiles = ${mnt}/*.conf\n`);
    writeFileSync(join(dir, 'Procfile'), 'web: sleep 300\n');
    const cases: Array<[HungCall, string[], string]> = [
      ['read', ['-c', 'supervisord.conf'], `${mnt}/extra.conf`], // read(2) of the included file
      ['readdir', ['-c', 'supervisord.conf'], mnt], // the [include] glob's readdir(2)
      ['stat', ['-e', `${mnt}/app.env`], `${mnt}/app.env`], // stat(2) of an -e file
    ];
    for (const [which, args, path] of cases) {
      hung.hang(which);
      const began = Date.now();
      const p = startProcinit(args, { cwd: dir });
      await p.waitFor(/no answer from the file system/, 40_000);
      const took = Date.now() - began;
      // a FUSE request is not given up when its caller dies: procinit's exit completes once the file
      // system answers (a hard NFS mount's is killable at once)
      hung.answer(which);
      const { code } = await p.exit(20_000);
      console.log(`[reliability] start on a hung file system (${which}): exit ${code} after ${took} ms`);
      expect(code).toBe(2);
      expect(took).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 100);
      expect(p.stderr).toBe(`procinit: ${path}: no answer from the file system within ${READ_TIMEOUT_MS / 1000} s (a hung mount?)\n`);
      expect(p.stdout).toBe('');
    }
  }, 150_000);
});
