/**
 * The control socket's guards (issue 16 item 5): the folder must be safe, nothing is chmod-ed or stat-ed
 * through a path an attacker could swap for a symlink, the lock file beside the socket cannot be planted,
 * and SO_PEERCRED keeps out every uid but procinit's own and root. Real sockets, real processes (the
 * peer-credential test runs its client as uid 65534, so it needs root: it is skipped otherwise).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandEntry } from '../../../src/control/connection.js';
import type { Hello } from '../../../src/control/protocol.js';
import { ControlServer } from '../../../src/control/server.js';
import { socketDirProblem } from '../../../src/control/socket-dir.js';
import { ControlSocketError } from '../../../src/control/socket-path.js';
import { RawClient } from '../../reliability/support/socket-client.js';

const hello: Hello = { hello: 'procinit', v: 1, version: 'test', pid: 4242 };
const commands = (): Map<string, CommandEntry> => new Map([['status', { handler: async () => ({ fine: true }) }]]);
const isRoot = process.getuid?.() === 0;

let dir: string;
let servers: ControlServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'procinit-guard-'));
  servers = [];
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function listen(path: string): Promise<ControlServer> {
  const s = await ControlServer.listen({ path, hello, commands: commands(), onInternalError: () => {} });
  servers.push(s);
  return s;
}

describe('the folder of the socket', () => {
  it('property: refused exactly when it belongs to another user, or others may write to it without the sticky bit', () => {
    const me = 1000;
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(0, me, 1001, 65534), fc.integer({ min: 0, max: 0o7777 }), (isDirectory, uid, mode) => {
        const problem = socketDirProblem('/x', me, () => ({ isDirectory, uid, mode }));
        const safe = isDirectory && (uid === 0 || uid === me) && ((mode & 0o022) === 0 || (mode & 0o1000) !== 0);
        expect(problem === null).toBe(safe);
        if (problem !== null) expect(problem).not.toMatch(/\n/);
      }),
      { numRuns: 2000, seed: 1616 },
    );
  });

  it('a world-writable folder without the sticky bit is refused, with the mode; a sticky one (/tmp) is fine', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const err = await listen(join(open, 'ctl.sock')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlSocketError);
    expect((err as Error).message).toBe(`cannot use the control socket ${join(open, 'ctl.sock')}: its folder ${open} is writable by everyone (mode 0777) and not sticky: another user could replace the socket`);
    chmodSync(open, 0o1777);
    await listen(join(open, 'ctl.sock'));
  });

  it.skipIf(!isRoot)("a folder owned by another user is refused (root would otherwise work in that user's folder)", async () => {
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, 65534, 65534);
    await expect(listen(join(theirs, 'ctl.sock'))).rejects.toThrow(`its folder ${theirs} belongs to uid 65534, not to root or to procinit's uid 0`);
  });
});

describe('no chmod or stat through a path', () => {
  it('a racer that swaps the new socket for a symlink to a file never gets that file chmod-ed (10 tries)', async () => {
    const target = join(dir, 'precious');
    writeFileSync(target, 'x');
    chmodSync(target, 0o644);
    const sockDir = join(dir, 'sockets');
    mkdirSync(sockDir);
    // the racer: as soon as ctl.sock appears, put a symlink to `precious` in its place (what an attacker
    // able to write to the folder would do between bind and chmod)
    const racer = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs'),p=require('path');const d=process.argv[1],t=process.argv[2];
         fs.watch(d,(ev,f)=>{if(f!=='ctl.sock')return;try{if(!fs.lstatSync(p.join(d,'ctl.sock')).isSocket())return}catch{return}try{fs.symlinkSync(t,p.join(d,'tmp-link'));}catch{}try{fs.renameSync(p.join(d,'tmp-link'),p.join(d,'ctl.sock'));}catch{}});
         process.stdout.write('ready\\n');`,
        sockDir,
        target,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((r) => racer.stdout!.once('data', r));
    let swapped = 0;
    try {
      for (let i = 0; i < 10; i++) {
        const s = await ControlServer.listen({ path: join(sockDir, 'ctl.sock'), hello, commands: commands(), onInternalError: () => {} });
        await new Promise((r) => setTimeout(r, 20));
        await s.close();
        try {
          if (statSync(join(sockDir, 'ctl.sock')).isFile()) swapped++;
        } catch {
          /* not swapped this time */
        }
        rmSync(join(sockDir, 'ctl.sock'), { force: true });
        expect((statSync(target).mode & 0o777).toString(8)).toBe('644');
      }
    } finally {
      racer.kill();
    }
    expect(swapped).toBeGreaterThan(0); // the racer did win races: the file stayed 0644 all the same
    expect(statSync(target).size).toBe(1); // and close() removed only what was ours
  });

  it('a symlink planted as the lock file is refused, and its target left alone', async () => {
    const target = join(dir, 'precious');
    writeFileSync(target, 'x');
    symlinkSync(target, join(dir, 'ctl.sock.lock'));
    await expect(listen(join(dir, 'ctl.sock'))).rejects.toThrow(`${join(dir, 'ctl.sock.lock')} is a symlink: remove it`);
    expect(statSync(target).size).toBe(1);
  });

  it.skipIf(!isRoot)('a lock file planted by another user is refused', async () => {
    writeFileSync(join(dir, 'ctl.sock.lock'), '');
    chownSync(join(dir, 'ctl.sock.lock'), 65534, 65534);
    await expect(listen(join(dir, 'ctl.sock'))).rejects.toThrow(`${join(dir, 'ctl.sock.lock')} belongs to uid 65534, not to procinit's uid 0: remove it`);
  });
});

describe('the lock beside the socket', () => {
  it('two servers claiming one stale socket at the same moment: exactly one gets it (20 tries)', async () => {
    const path = join(dir, 'ctl.sock');
    for (let i = 0; i < 20; i++) {
      // a stale socket: bound, then its listener gone without removing the file
      spawnSync(process.execPath, ['-e', `require('net').createServer().listen(process.argv[1],()=>process.kill(process.pid,'SIGKILL'))`, path]);
      expect(statSync(path).isSocket()).toBe(true);
      const results = await Promise.allSettled([listen(path), listen(path)]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok.length, `try ${i}`).toBe(1);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(failed.reason).toBeInstanceOf(ControlSocketError);
      expect((failed.reason as ControlSocketError).kind).toBe('in_use');
      const c = await RawClient.open(path);
      expect((await c.request(1, 'status')).ok).toBe(true);
      c.destroy();
      await Promise.all(servers.map((s) => s.close()));
      servers = [];
    }
  });
});

describe('peer credentials', () => {
  /** Connect as another uid and print the first line the server sends (a child process: the server is in this one). */
  function firstLineAs(uid: number, address: string): Promise<string> {
    const child = spawn(
      process.execPath,
      ['-e', `const a=process.argv[1];const c=require('net').connect(a.startsWith('@')?'\\0'+a.slice(1):a);c.setEncoding('utf8');let b='';c.on('data',d=>{b+=d;if(b.includes('\\n')){process.stdout.write(b.split('\\n')[0]);process.exit(0)}});c.on('error',e=>{process.stdout.write('error '+e.code);process.exit(0)});c.on('close',()=>{process.stdout.write('closed:'+b);process.exit(0)})`, address],
      { uid, gid: uid, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    return new Promise((resolve) => child.on('close', () => resolve(out)));
  }

  it.skipIf(!isRoot)('on the abstract socket (no file mode to keep anyone out) a client of another uid gets forbidden; root gets the hello', async () => {
    const name = `@procinit-test-${process.pid}-${Date.now()}`;
    const s = await listen(name);
    const other = JSON.parse(await firstLineAs(65534, name)) as { id: null; error: { code: string; message: string } };
    expect(other.id).toBeNull();
    expect(other.error.code).toBe('forbidden');
    expect(other.error.message).toMatch(/^uid 65534 \(pid \d+\) may not use this procinit: it runs as uid 0, and only that uid and root may$/);
    expect(JSON.parse(await firstLineAs(0, name))).toMatchObject({ hello: 'procinit' });
    expect(s.connectionCount).toBe(0); // the refused one never became a connection (and root's has closed)
  });

  it.skipIf(!isRoot)('on a file socket another uid is kept out by the mode 0600 first', async () => {
    const path = join(dir, 'ctl.sock');
    await listen(path);
    chmodSync(dir, 0o755);
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    expect(await firstLineAs(65534, path)).toBe('error EACCES');
  });
});
