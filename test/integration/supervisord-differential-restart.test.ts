/**
 * supervisord's restart, side by side with Debian's supervisord 4.2.5: SIGHUP, then the real supervisorctl's
 * `reload` (XML-RPC supervisor.restart), each after the config was edited. Both re-read the whole config:
 * [supervisord] logfile, loglevel, identifier and pidfile change, a group is replaced. Compared: what a
 * supervisor.childutils listener receives (PROCESS_GROUP_ADDED, SUPERVISOR_STATE_CHANGE_*, the `server:`
 * header = identifier, pool serials starting again), which log file holds which lines, at which level, and
 * which pidfile exists.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveSupervisorPython, PYTHON, reportMissingSupervisorPython } from '../helpers/supervisord-python.js';
import { fixtureDir, startProcinit, until, Watched } from '../helpers/procinit.js';
import { finishedJsonLines } from '../helpers/finished-lines.js';

const RECORDER = resolve(__dirname, '../fixtures/events/recorder.py');

interface Rec {
  server: string;
  pool: string;
  poolserial: string;
  eventname: string;
  payload: string;
}

const conf = (dir: string, n: number, level: string, program: string): string => `[supervisord]
nodaemon=true
logfile=%(here)s/main${n}.log
pidfile=%(here)s/sd${n}.pid
childlogdir=%(here)s
loglevel=${level}
identifier=id${n}

[unix_http_server]
file=%(here)s/s${n}.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/s${n}.sock

[eventlistener:rec]
command=${PYTHON} ${RECORDER} ${join(dir, 'events.jsonl')}
events=PROCESS_GROUP,SUPERVISOR_STATE_CHANGE
stdout_logfile=NONE
stderr_logfile=NONE
startsecs=0

[program:${program}]
command=sleep 300
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
`;

/** A log file's lines at INFO and above, without time and pids, sorted (spawn/success interleave differently). */
function messages(file: string): string[] {
  if (!existsSync(file)) return ['(no file)'];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => /^\S+ \S+ (CRIT|ERRO|WARN|INFO) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`.replace(/pid \d+/g, 'pid N'))
    // procinit's own advice about the container's stop timeout, not a supervisord line
    .filter((l) => !l.includes('stopping can take'))
    .sort();
}

/** supervisord's `fd N closed, stopped monitoring <…Dispatcher …>` debug lines: which process, kind and channel. */
const monitoring = (file: string): string[] =>
  existsSync(file)
    ? [...readFileSync(file, 'utf8').matchAll(/ DEBG fd \d+ closed, stopped monitoring <(\w+) at \d+ for <Subprocess at \d+ with name (\S+) in state [A-Z]+> \((\w+)\)>/g)].map((m) => `${m[2]} ${m[1]} ${m[3]}`).sort()
    : [];

/** The start-up lines in their order, up to `supervisord started` (INFO and above, procinit's advice left out). */
function startup(file: string): string[] {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  const out: string[] = [];
  for (const l of lines) {
    const m = /^\S+ \S+ (CRIT|ERRO|WARN|INFO) (.*)$/.exec(l);
    if (!m || m[2].includes('stopping can take')) continue;
    out.push(`${m[1]} ${m[2].replace(/pid \d+/, 'pid N')}`);
    if (m[2].startsWith('supervisord started')) break;
  }
  return out;
}

const debugLines = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => / DEBG /.test(l)).length : 0);

async function scenario(which: 'supervisord' | 'procinit') {
  const dir = fixtureDir({});
  const cfg = join(dir, 'supervisord.conf');
  const out = join(dir, 'events.jsonl');
  const read = (): Rec[] => finishedJsonLines<Rec>(out);
  const running = (): number => read().filter((r) => r.eventname === 'SUPERVISOR_STATE_CHANGE_RUNNING').length;
  writeFileSync(cfg, conf(dir, 1, 'info', 'old'));
  const p: Watched =
    which === 'procinit'
      ? startProcinit(['-c', cfg], { cwd: dir })
      : new Watched(spawn(PYTHON, ['-m', 'supervisor.supervisord', '-n', '-c', cfg], { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } }));
  const fail = (err: Error): never => {
    p.child.kill('SIGKILL');
    throw new Error(`${which}: ${err.message}\n${p.output}\n${readFileSync(out, 'utf8')}`);
  };
  const logged = (n: number, text: string): boolean => existsSync(join(dir, `main${n}.log`)) && readFileSync(join(dir, `main${n}.log`), 'utf8').includes(text);
  await until(() => running() === 1 && logged(1, "success: old entered RUNNING"), 30_000, 'start').catch(fail);
  const pidfiles: boolean[][] = [];

  // 1. SIGHUP after an edit: debug level, another log file, identifier, pidfile, and group
  writeFileSync(cfg, conf(dir, 2, 'debug', 'new'));
  p.child.kill('SIGHUP');
  await until(() => running() === 2 && logged(2, 'success: new entered RUNNING'), 30_000, 'restart after SIGHUP').catch(fail);
  pidfiles.push([existsSync(join(dir, 'sd1.pid')), existsSync(join(dir, 'sd2.pid'))]);

  // 2. supervisorctl reload (XML-RPC restart) after another edit
  writeFileSync(cfg, conf(dir, 3, 'info', 'third'));
  const ctl = spawnSync(PYTHON, ['-m', 'supervisor.supervisorctl', '-s', `unix://${join(dir, 's2.sock')}`, 'reload'], { encoding: 'utf8', timeout: 20_000 });
  await until(() => running() === 3 && logged(3, 'success: third entered RUNNING'), 30_000, 'restart after supervisorctl reload').catch(fail);
  pidfiles.push([existsSync(join(dir, 'sd2.pid')), existsSync(join(dir, 'sd3.pid'))]);
  const recs = read();
  // the XML-RPC server moved with the config: the old socket is gone, the new one answers
  const sockets = [1, 2, 3].map((n) => existsSync(join(dir, `s${n}.sock`)));
  const status = spawnSync(PYTHON, ['-m', 'supervisor.supervisorctl', '-c', cfg, 'status'], { encoding: 'utf8', timeout: 20_000 });

  p.child.kill('SIGTERM');
  const exit = await p.exit(30_000);
  return {
    recs,
    ctl: ctl.stdout + ctl.stderr,
    logs: [1, 2, 3].map((n) => messages(join(dir, `main${n}.log`))),
    debug: [1, 2, 3].map((n) => debugLines(join(dir, `main${n}.log`)) > 0),
    monitoring: monitoring(join(dir, 'main2.log')),
    startup: [1, 2, 3].map((n) => startup(join(dir, `main${n}.log`))),
    pidfiles,
    sockets,
    status: (status.stdout + status.stderr).replace(/pid \d+, uptime \S+/g, 'pid N, uptime T'),
    exit,
    gone: !existsSync(join(dir, 'sd3.pid')),
  };
}

describe.skipIf(!haveSupervisorPython)('supervisord restart: procinit vs supervisord, same edits', () => {
  it('SIGHUP and supervisorctl reload re-read [supervisord] settings and raise the group events', async () => {
    const [sd, pi] = await Promise.all([scenario('supervisord'), scenario('procinit')]);
    // supervisord's STOPPING reaches the listener only when its loop dispatches before it stops the listener (a
    // race, about one run in three here); procinit always delivers it first (README: listeners hear of the stop)
    const stopping = (r: Rec): boolean => r.eventname === 'SUPERVISOR_STATE_CHANGE_STOPPING';
    const events = (recs: Rec[]): string[] => recs.filter((r) => !stopping(r)).map((r) => `${r.server} ${r.pool}#${r.poolserial} ${r.eventname} ${r.payload}`);
    expect(events(pi.recs)).toEqual(events(sd.recs));
    expect(pi.recs.filter(stopping).map((r) => `${r.server} ${r.pool}#${r.poolserial}`)).toEqual(['id1 rec#3', 'id2 rec#3']);
    // what supervisord does, spelled out: the new identifier, the group swapped, new pools counting from 0
    expect(events(sd.recs)).toEqual([
      'id1 rec#0 PROCESS_GROUP_ADDED groupname:rec\n',
      'id1 rec#1 PROCESS_GROUP_ADDED groupname:old\n',
      'id1 rec#2 SUPERVISOR_STATE_CHANGE_RUNNING ',
      'id2 rec#0 PROCESS_GROUP_ADDED groupname:rec\n',
      'id2 rec#1 PROCESS_GROUP_ADDED groupname:new\n',
      'id2 rec#2 SUPERVISOR_STATE_CHANGE_RUNNING ',
      'id3 rec#0 PROCESS_GROUP_ADDED groupname:rec\n',
      'id3 rec#1 PROCESS_GROUP_ADDED groupname:third\n',
      'id3 rec#2 SUPERVISOR_STATE_CHANGE_RUNNING ',
    ]);
    expect(pi.ctl).toBe(sd.ctl);
    // each log file holds its own run's lines: the same ones, at the level its config asked for
    for (const k of [0, 1, 2]) expect(pi.logs[k], `main${k + 1}.log`).toEqual(sd.logs[k]);
    // at start and at each restart: the same start-up lines in the same order (the servers' before `started`)
    expect(pi.startup).toEqual(sd.startup);
    expect(sd.startup[1].slice(-3)).toEqual(["INFO RPC interface 'supervisor' initialized", "CRIT Server 'unix_http_server' running without any HTTP authentication checking", 'INFO supervisord started with pid N']);
    expect(sd.debug).toEqual([false, true, false]);
    expect(pi.debug).toEqual(sd.debug);
    // at debug, the pipes of the processes the second restart stopped
    expect(pi.monitoring).toEqual(sd.monitoring);
    expect(sd.monitoring).toEqual(["new POutputDispatcher stderr", "new POutputDispatcher stdout", "rec PEventListenerDispatcher stdout", "rec POutputDispatcher stderr"]);
    expect(pi.pidfiles).toEqual(sd.pidfiles);
    expect(sd.sockets).toEqual([false, false, true]);
    expect(pi.sockets).toEqual(sd.sockets);
    expect(pi.status).toBe(sd.status);
    expect(pi.gone).toBe(sd.gone);
    expect(pi.exit.code).toBe(sd.exit.code);
  }, 120_000);
});

/** user=nobody, then SIGHUP after the config asks for root: supervisord (now nobody) cannot, and exits 2. */
async function userScenario(which: 'supervisord' | 'procinit') {
  const dir = fixtureDir({});
  chmodSync(dir, 0o777); // nobody writes its log and pidfile here
  const sockDir = join(dir, 'sock');
  mkdirSync(sockDir, { mode: 0o700 });
  chownSync(sockDir, 65534, 65534);
  const cfg = join(dir, 'supervisord.conf');
  const text = (user: string): string =>
    `[supervisord]\nnodaemon=true\nlogfile=%(here)s/main.log\npidfile=%(here)s/sd.pid\nchildlogdir=%(here)s\nuser=${user}\n\n[program:a]\ncommand=sleep 300\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n`;
  writeFileSync(cfg, text('nobody'));
  const p: Watched =
    which === 'procinit'
      ? startProcinit(['-c', cfg], { cwd: dir, env: { PROCINIT_SOCKET: join(sockDir, 'ctl.sock') } })
      : new Watched(spawn(PYTHON, ['-m', 'supervisor.supervisord', '-n', '-c', cfg], { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } }));
  const log = (): string => (existsSync(join(dir, 'main.log')) ? readFileSync(join(dir, 'main.log'), 'utf8') : '');
  await until(() => log().includes('success: a entered RUNNING'), 30_000, `${which}: start`);
  writeFileSync(cfg, text('root'));
  p.child.kill('SIGHUP');
  const exit = await p.exit(30_000);
  const lines = log()
    .split('\n')
    .map((l) => /^\S+ \S+ (CRIT|ERRO|WARN|INFO) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !m[2].includes('stopping can take') && !m[2].startsWith('[supervisord] user='))
    .map((m) => `${m[1]} ${m[2].replace(/pid \d+/g, 'pid N')}`);
  return { exit, lines, stderr: p.stderr };
}

describe.skipIf(!haveSupervisorPython || process.getuid?.() !== 0)('supervisord restart with a user it can no longer become', () => {
  it('exits 2 after stopping everything, as supervisord does', async () => {
    const [sd, pi] = await Promise.all([userScenario('supervisord'), userScenario('procinit')]);
    expect(sd.exit.code).toBe(2);
    expect(pi.exit.code).toBe(2);
    expect(pi.lines).toEqual(sd.lines);
    expect(sd.stderr).toMatch(/^Error: Can't drop privilege as nonroot user$/m);
    expect(pi.stderr).toMatch(/^Error: .*Can't drop privilege as nonroot user/m);
  }, 60_000);
});

reportMissingSupervisorPython();
