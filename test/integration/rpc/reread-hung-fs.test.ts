/**
 * supervisorctl reread (XML-RPC supervisor.reloadConfig) with an [include]d file on a file system whose reads
 * hang (issue 16, items 4 and 11): the real FUSE file system of config-hung-fs (test/fixtures/config/hung-fs.py)
 * and Debian's real supervisorctl. Before, reloadConfig loaded the config with loadRun on the event loop:
 * procinit sat in read(2) (no status, no reaping, no signals) for as long as the mount hung. Now it loads as
 * `procinit reload` does (worker thread, reads on the thread pool given up after READ_TIMEOUT_MS): status is
 * answered meanwhile, and the reread answers CANT_REREAD (92) with the one-line reason; nothing changes.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { askWhile, canFuse, HungFs } from '../../helpers/hung-fs.js';
import { tempDir } from '../../helpers/procinit.js';
import { READ_TIMEOUT_MS } from '../../../src/config/text-file.js';
import { startRun, type Run } from '../control-harness.js';

const PY = '/usr/bin/python3';
const CTL = '/usr/bin/supervisorctl';

function supervisorctl(conf: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(PY, [CTL, '-c', conf, ...args], { encoding: 'utf8', timeout: 40_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr });
    });
  });
}

let hung: HungFs | null = null;
let run: Run | null = null;
afterEach(async () => {
  hung?.release(); // let the hung read return
  await run?.stop();
  run = null;
  hung?.unmount();
  hung = null;
});

describe.skipIf(!canFuse || !existsSync(CTL))('supervisorctl reread with an included file on a hung file system', () => {
  it('status answered while the read hangs; reread answers CANT_REREAD after the timeout, nothing changes; then works', async () => {
    const dir = tempDir();
    hung = await HungFs.mount(dir);
    const { mnt } = hung;
    const sv = join(dir, 'sv.sock');
    const text =
      `[supervisord]\n[unix_http_server]\nfile=${sv}\n[supervisorctl]\nserverurl=unix://${sv}\n` +
      `[program:base]\ncommand=sleep 300\nstartsecs=0\n[include]\nfiles = ${mnt}/*.conf\n`;
    run = await startRun({ 'supervisord.conf': text }, ['-c', 'supervisord.conf']);
    const conf = join(run.dir, 'supervisord.conf');
    await run.w.waitFor(/spawned: 'extra'/);
    await run.w.waitFor("RPC interface 'supervisor' initialized");
    expect((await supervisorctl(conf, 'reread')).out).toMatch(/No config updates to processes/);

    hung.hang('read'); // from now on a read of extra.conf does not return
    const { result: r, answered, slowest, took } = await askWhile(supervisorctl(conf, 'reread'), () => run!.ctl('status'));
    console.log(`[reliability] hung-config-read, supervisorctl reread: refused after ${took} ms, ${answered} status answers meanwhile, slowest ${slowest} ms`);
    // supervisorctl's own words for fault 92, with procinit's one line
    expect(r.out).toBe(`ERROR: CANT_REREAD: ${mnt}/extra.conf: no answer from the file system within ${READ_TIMEOUT_MS / 1000} s (a hung mount?)\n`);
    expect(answered).toBeGreaterThanOrEqual(5); // before: none (the event loop sat in read(2))
    expect(took).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 100);
    expect((await run.ctl('status')).stdout).toMatch(/extra +RUNNING/);

    // still hung: refused at once (the first read still holds its thread), nothing changes; update gets the same
    // fault 92 (supervisorctl's update does not catch it: a traceback line, as against supervisord)
    const again = await supervisorctl(conf, 'reread');
    expect(again.out).toMatch(/^ERROR: CANT_REREAD: .*extra\.conf: an earlier read of it has had no answer for \d+ s \(a hung file system\?\)\n$/);
    expect((await supervisorctl(conf, 'update')).out).toMatch(/Fault 92: 'CANT_REREAD: .*extra\.conf: an earlier read/);
    expect((await supervisorctl(conf, 'status', 'extra')).out).toMatch(/^extra\s+RUNNING/m);

    hung.answer('read'); // the server answers again: the next reread reads normally
    let ok = await supervisorctl(conf, 'reread');
    for (let i = 0; !/No config updates to processes/.test(ok.out) && i < 50; i++) {
      await new Promise((res) => setTimeout(res, 100));
      ok = await supervisorctl(conf, 'reread');
    }
    expect(ok.out).toMatch(/No config updates to processes/);
  }, 90_000);
});

/** A system.multicall through Debian's supervisor.xmlrpc transport (what supervisorctl uses), as JSON. */
function multicall(sock: string, calls: Array<[string, unknown[]]>): Promise<unknown> {
  const script = [
    'import json, sys, xmlrpc.client',
    'from supervisor.xmlrpc import SupervisorTransport',
    "p = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=SupervisorTransport(None, None, 'unix://' + sys.argv[1]))",
    "print(json.dumps(p.system.multicall([{'methodName': m, 'params': a} for m, a in json.loads(sys.argv[2])])))",
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(PY, ['-c', script, sock, JSON.stringify(calls)], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

describe.skipIf(!existsSync(CTL))('reloadConfig loaded off the event loop', () => {
  it('a multicall keeps its order (reloadConfig, then addProcessGroup of the group it found); a bad config: fault 92 in one line, nothing changes', async () => {
    const head = (sv: string): string => `[supervisord]\n[unix_http_server]\nfile=${sv}\n[supervisorctl]\nserverurl=unix://${sv}\n[program:base]\ncommand=sleep 300\nstartsecs=0\n`;
    const dir = tempDir();
    const sv = join(dir, 'sv.sock');
    run = await startRun({ 'supervisord.conf': head(sv) }, ['-c', 'supervisord.conf']);
    const conf = join(run.dir, 'supervisord.conf');
    await run.w.waitFor("RPC interface 'supervisor' initialized");

    writeFileSync(conf, `${head(sv)}[program:late]\ncommand=sleep 300\nstartsecs=0\nautostart=false\n`);
    const results = (await multicall(sv, [
      ['supervisor.reloadConfig', []],
      ['supervisor.addProcessGroup', ['late']],
      ['supervisor.getProcessInfo', ['late']],
    ])) as unknown[];
    expect(results[0]).toEqual([[['late'], [], []]]);
    expect(results[1]).toBe(true);
    expect(results[2]).toMatchObject({ name: 'late', statename: 'STOPPED' });

    writeFileSync(conf, `${head(sv)}[program:late]\ncommand=sleep 300\nstartsecs=0\nautostart=false\n[program:broken]\nstartsecs=0\n`);
    const r = await supervisorctl(conf, 'reread');
    expect(r.out).toMatch(/^ERROR: CANT_REREAD: .*supervisord\.conf:\d+: .*\n$/);
    expect(r.out.split('\n')).toHaveLength(2);
    // the pending config is still the last good one: nothing to add, nothing removed
    expect(await multicall(sv, [['supervisor.addProcessGroup', ['late']]])).toEqual([{ faultCode: 90, faultString: 'ALREADY_ADDED: late' }]);
    expect((await run.ctl('status')).stdout).toMatch(/base +RUNNING/);
  }, 60_000);
});
