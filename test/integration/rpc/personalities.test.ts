/**
 * procinit under the names supervisord and supervisorctl (symlinks, as an image would make them): supervisord's
 * command line, and supervisorctl's output compared line for line with the real supervisorctl's.
 */
import { execFile, spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, startWatched, tempDir, testEnv, type Watched } from '../../helpers/procinit.js';

let running: Watched | null = null;
afterEach(async () => {
  running?.child.kill('SIGTERM');
  await running?.exited;
  running = null;
});

function names(): { dir: string; supervisord: string; supervisorctl: string } {
  const dir = tempDir('procinit-names-');
  const supervisord = join(dir, 'supervisord');
  const supervisorctl = join(dir, 'supervisorctl');
  symlinkSync(join(REPO, 'bin/procinit'), supervisord);
  symlinkSync(join(REPO, 'bin/procinit'), supervisorctl);
  return { dir, supervisord, supervisorctl };
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: 30_000, env: testEnv() }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

describe('procinit as supervisord', () => {
  it('prints supervisord usage for -h and -?, refuses bad options and daemonizing with usage errors (exit 2)', async () => {
    const { dir, supervisord } = names();
    expect((await run(supervisord, ['-h'])).out).toContain('-l/--logfile FILENAME -- use FILENAME as logfile path');
    expect((await run(supervisord, ['-?'])).code).toBe(0);
    const bad = await run(supervisord, ['--bogus']);
    expect(bad).toEqual({ code: 2, out: 'Error: option --bogus not recognized\nFor help, use supervisord -h\n' });
    const conf = join(dir, 'd.conf');
    writeFileSync(conf, '[supervisord]\n[program:x]\ncommand=sleep 1\n');
    const daemon = await run(supervisord, ['-c', conf]);
    expect(daemon.code).toBe(2);
    expect(daemon.out).toMatch(/^Error: .*d\.conf: supervisord would daemonize here .*add -n\n/);
    expect((await run(supervisord, ['-c', join(dir, 'missing.conf'), '-n'])).out).toContain('could not find config file');
  });

  it('runs the config with -n, -i sets the identifier, -j the pid file', async () => {
    const { dir, supervisord } = names();
    const sock = join(dir, 's.sock');
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(conf, `[supervisord]\n[unix_http_server]\nfile=${sock}\n[supervisorctl]\nserverurl=unix://${sock}\n[program:x]\ncommand=sleep 1000\nstartsecs=0\n`);
    running = startWatched(supervisord, ['-n', '-c', conf, '-i', 'from-cli', '-j', join(dir, 'sd.pid')], { env: testEnv() });
    await running.waitFor(/x (started|is running)|spawned: 'x'/);
    const r = spawnSync('/usr/bin/python3', ['-c', `
from supervisor.xmlrpc import SupervisorTransport
from supervisor.compat import xmlrpclib
t = SupervisorTransport('', '', 'unix://${sock}')
s = xmlrpclib.ServerProxy('http://x/RPC2', t)
print(s.supervisor.getIdentification(), s.supervisor.getPID())`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(`from-cli ${running.pid}`);
  });
});

describe('procinit as supervisorctl, next to the real one', () => {
  it('prints what the real supervisorctl prints, with the same exit statuses', async () => {
    const { dir, supervisord, supervisorctl } = names();
    const sock = join(dir, 's.sock');
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(
      conf,
      `[supervisord]\nnodaemon=true\n[unix_http_server]\nfile=${sock}\n[supervisorctl]\nserverurl=unix://${sock}\n` +
        `[program:web]\ncommand=sh -c 'echo serving; exec sleep 1000'\nstartsecs=0\n` +
        `[program:idle]\ncommand=sleep 1000\nautostart=false\n` +
        `[group:workers]\nprograms=w1,w2\n[program:w1]\ncommand=sleep 1000\nstartsecs=0\n[program:w2]\ncommand=sleep 1000\nstartsecs=0\n`,
    );
    running = startWatched(supervisord, ['-c', conf], { env: testEnv() });
    await running.waitFor(/w2 (started|is running)|spawned: 'w2'/);
    const real = (args: string[], input?: string) => run('/usr/bin/python3', ['/usr/bin/supervisorctl', '-c', conf, ...args], input);
    const ours = (args: string[], input?: string) => run(supervisorctl, ['-c', conf, ...args], input);
    const uptime = (s: string): string => s.replace(/uptime \d+:\d\d:\d\d/g, 'uptime T').replace(/pid \d+/g, 'pid N');
    // read-only commands: same output, same code
    for (const args of [['status'], ['status', 'web'], ['status', 'workers:*'], ['status', 'nope'], ['status', 'nope:*'], ['avail'], ['version'], ['tail', 'web'], ['tail', 'nope'], ['pid', 'idle'], ['reread'], ['bogus'], ['start'], ['tail', '-x', 'web']]) {
      const [a, b] = await Promise.all([real(args), ours(args)]);
      expect({ args, code: b.code, out: uptime(b.out) }).toEqual({ args, code: a.code, out: uptime(a.out) });
    }
    // usage errors and faults that change nothing: one for each way supervisorctl words them
    for (const args of [['stop'], ['avail', 'x'], ['start', 'nope:*'], ['add', 'web'], ['remove', 'web']]) {
      const [a, b] = await Promise.all([real(args), ours(args)]);
      expect({ args, code: b.code, out: b.out }).toEqual({ args, code: a.code, out: a.out });
    }
    // commands that change state: each client in turn from the same state (undone in between)
    const steps: Array<[string[], string[] | null]> = [
      [['stop', 'web'], ['start', 'web']],
      [['start', 'idle'], ['stop', 'idle']],
      [['stop', 'workers:*'], ['start', 'workers:*']],
      [['restart', 'web'], null],
      [['signal', 'CONT', 'web'], null],
      [['signal', 'BOGUS', 'web'], null],
      [['stop', 'idle'], null],
    ];
    for (const [args, undo] of steps) {
      const a = await real(args);
      if (undo) await real(undo);
      const b = await ours(args);
      if (undo) await real(undo);
      expect({ args, code: b.code, out: b.out }).toEqual({ args, code: a.code, out: a.out });
    }
    const shell = await ours([], 'status web\nquit\n');
    expect(uptime(shell.out)).toContain('supervisor> web                              RUNNING   pid N, uptime T');
  }, 180_000); // about 60 Python supervisorctl runs: 25 s on a loaded 2-core machine, more in a full parallel suite
});
