/**
 * `supervisorctl stop` of a program that ignores SIGTERM, side by side with Debian's supervisord 4.2.5:
 * supervisord says `waiting for stubborn to stop` at once and again every 2 s while the stop waits
 * (process.py stop_report), then `killing 'stubborn' (PID) with SIGKILL` and `stopped:`. procinit must say the
 * same lines, as often, about 2 s apart.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveSupervisorPython, PYTHON, reportMissingSupervisorPython } from '../helpers/supervisord-python.js';
import { fixtureDir, startProcinit, until, Watched } from '../helpers/procinit.js';

const conf = `[supervisord]
nodaemon=true
logfile=%(here)s/main.log
pidfile=%(here)s/sd.pid
childlogdir=%(here)s

[unix_http_server]
file=%(here)s/s.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/s.sock

[program:stubborn]
command=sh -c "trap '' TERM; while :; do sleep 0.1; done"
startsecs=0
stopwaitsecs=5
stdout_logfile=NONE
stderr_logfile=NONE
`;

/** supervisord's asctime to ms (one day is enough). */
const at = (line: string): number => {
  const m = /^\S+ (\d\d):(\d\d):(\d\d),(\d\d\d)/.exec(line)!;
  return ((+m[1] * 60 + +m[2]) * 60 + +m[3]) * 1000 + +m[4];
};

async function stopReport(which: 'supervisord' | 'procinit') {
  const dir = fixtureDir({ 'supervisord.conf': conf });
  const cfg = join(dir, 'supervisord.conf');
  writeFileSync(cfg, conf);
  const p: Watched =
    which === 'procinit'
      ? startProcinit(['-c', cfg], { cwd: dir })
      : new Watched(spawn(PYTHON, ['-m', 'supervisor.supervisord', '-n', '-c', cfg], { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } }));
  const log = (): string => readFileSync(join(dir, 'main.log'), 'utf8');
  await until(() => { try { return log().includes('success: stubborn entered RUNNING'); } catch { return false; } }, 30_000, `${which}: start`);
  const ctl = await new Promise<string>((resolve) => {
    const c = spawn(PYTHON, ['-m', 'supervisor.supervisorctl', '-c', cfg, 'stop', 'stubborn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', () => resolve(out));
  });
  p.child.kill('SIGTERM');
  await p.exit(30_000);
  const lines = log().split('\n').filter((l) => / (waiting for stubborn to stop|killing 'stubborn'|stopped: stubborn)/.test(l));
  return { ctl, lines };
}

describe.skipIf(!haveSupervisorPython)('waiting for x to stop: procinit vs supervisord', () => {
  it('repeats `waiting for stubborn to stop` every 2 s until SIGKILL, as supervisord does', async () => {
    const [sd, pi] = await Promise.all([stopReport('supervisord'), stopReport('procinit')]);
    const words = (lines: string[]): string[] => lines.map((l) => l.replace(/^\S+ \S+ /, '').replace(/\(\d+\)/, '(PID)'));
    expect(words(pi.lines)).toEqual(words(sd.lines));
    expect(words(sd.lines)).toEqual([
      'INFO waiting for stubborn to stop',
      'INFO waiting for stubborn to stop',
      'INFO waiting for stubborn to stop',
      "WARN killing 'stubborn' (PID) with SIGKILL",
      'WARN stopped: stubborn (terminated by SIGKILL)',
    ]);
    expect(pi.ctl).toBe(sd.ctl);
    // about 2 s apart (supervisord's loop wakes at least once a second)
    const waits = pi.lines.slice(0, 3).map(at);
    for (const k of [1, 2]) expect(waits[k] - waits[k - 1]).toBeGreaterThanOrEqual(1900);
    for (const k of [1, 2]) expect(waits[k] - waits[k - 1]).toBeLessThan(3200);
  }, 60_000);
});

/** loglevel=trace: supervisorctl signal and a bad start, as each supervisor logs them. */
async function traced(which: 'supervisord' | 'procinit') {
  const dir = fixtureDir({});
  const cfg = join(dir, 'supervisord.conf');
  writeFileSync(cfg, conf.replace('childlogdir=%(here)s', 'childlogdir=%(here)s\nloglevel=trace').replace('[program:stubborn]', '[program:web]'));
  const p: Watched =
    which === 'procinit'
      ? startProcinit(['-c', cfg], { cwd: dir })
      : new Watched(spawn(PYTHON, ['-m', 'supervisor.supervisord', '-n', '-c', cfg], { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } }));
  const log = (): string => { try { return readFileSync(join(dir, 'main.log'), 'utf8'); } catch { return ''; } };
  await until(() => log().includes('success: web entered RUNNING'), 30_000, `${which}: start`);
  const ctl = (...args: string[]): Promise<void> =>
    new Promise((resolve) => spawn(PYTHON, ['-m', 'supervisor.supervisorctl', '-c', cfg, ...args], { stdio: 'ignore' }).on('close', () => resolve()));
  await ctl('signal', 'HUP', 'web');
  await ctl('start', 'nosuch');
  p.child.kill('SIGKILL');
  await p.exited;
  // web ignores SIGTERM and outlives a SIGKILLed supervisor: kill the process group of each web spawned (the
  // SIGHUP restarted it; each supervisor makes one group per program), or every run leaves one behind
  for (const [, pid] of log().matchAll(/spawned: 'web' with pid (\d+)/g)) {
    try {
      process.kill(-Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return log()
    .split('\n')
    .filter((l) => / (TRAC XML-RPC method|DEBG sending web)/.test(l))
    .map((l) => l.replace(/^\S+ \S+ /, '').replace(/pid \d+/, 'pid N'));
}

describe.skipIf(!haveSupervisorPython)('trace and debug lines of XML-RPC calls: procinit vs supervisord', () => {
  it('logs each call, its result or fault, and the signal sent, as supervisord does', async () => {
    const [sd, pi] = await Promise.all([traced('supervisord'), traced('procinit')]);
    expect(pi).toEqual(sd);
    expect(sd).toContain('DEBG sending web (pid N) sig SIGHUP');
    expect(sd).toContain('TRAC XML-RPC method supervisor.startProcess() returned fault: [10] BAD_NAME: nosuch');
  }, 60_000);
});

reportMissingSupervisorPython();
