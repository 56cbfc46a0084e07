/**
 * The same supervisord.conf under the real supervisord (Debian's package) and procinit, with a listener
 * written on supervisor.childutils recording what it receives: the events, their header lines and payloads
 * must be the same, modulo pids and the order in which different processes' events interleave.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveSupervisorPython, PYTHON, reportMissingSupervisorPython } from '../../helpers/supervisord-python.js';
import { fixtureDir, startProcinit, until, Watched } from '../../helpers/procinit.js';
import { finishedJsonLines } from '../../helpers/finished-lines.js';

const RECORDER = resolve(__dirname, '../../fixtures/events/recorder.py');

interface Rec {
  ver: string;
  server: string;
  serial: string;
  pool: string;
  poolserial: string;
  eventname: string;
  len: string;
  payload: string;
  len_ok: boolean;
  answer: string;
  parsed?: Record<string, string>;
}

const conf = (out: string): string => `[supervisord]
nodaemon=true
logfile=/dev/null
pidfile=%(here)s/sd.pid
childlogdir=%(here)s
loglevel=info

[procinit]
on_fatal = keep

[eventlistener:rec]
command=${PYTHON} ${RECORDER} ${out} REMOTE_COMMUNICATION PROCESS_GROUP_ADDED
events=PROCESS_STATE,PROCESS_LOG,PROCESS_COMMUNICATION,SUPERVISOR_STATE_CHANGE,PROCESS_GROUP
buffer_size=100
stdout_logfile=NONE
stderr_logfile=NONE
startsecs=0

[program:crash]
command=sh -c 'exit 3'
startsecs=10
startretries=1
autorestart=false
stdout_logfile=NONE

[program:done]
command=sh -c 'exit 0'
startsecs=0
autorestart=false
stdout_logfile=NONE

[program:talk]
command=sh -c "printf 'hello <!--XSUPERVISOR:BEGIN-->secret message<!--XSUPERVISOR:END--> and the rest of the line, long enough\\n'; printf 'Malmö on stderr\\n' >&2; exec sleep 60"
stdout_events_enabled=true
stderr_events_enabled=true
stdout_capture_maxbytes=1KB
stdout_logfile=%(here)s/talk.log
stderr_logfile=NONE
`;

const norm = (s: string): string => s.replace(/pid:\d+/g, 'pid:N');

async function record(which: 'supervisord' | 'procinit'): Promise<{ recs: Rec[]; log: string }> {
  const dir = fixtureDir({});
  const out = join(dir, 'events.jsonl');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'supervisord.conf'), conf(out));
  const p: Watched =
    which === 'procinit'
      ? startProcinit(['-c', 'supervisord.conf'], { cwd: dir })
      : new Watched(spawn(PYTHON, ['-m', 'supervisor.supervisord', '-n', '-c', 'supervisord.conf'], { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } }));
  const read = (): Rec[] => finishedJsonLines<Rec>(out);
  const seen = (event: string, name: string): boolean => read().some((r) => r.eventname === event && r.payload.includes(`processname:${name} `));
  await until(() => seen('PROCESS_STATE_FATAL', 'crash') && seen('PROCESS_STATE_EXITED', 'done') && seen('PROCESS_COMMUNICATION_STDOUT', 'talk') && seen('PROCESS_LOG_STDERR', 'talk'), 30_000, `${which}: events`).catch((err: Error) => {
    p.child.kill('SIGKILL');
    throw new Error(`${err.message}\n${p.output}\n${read().map((r) => `${r.eventname} ${r.payload}`).join('\n')}`);
  });
  p.child.kill('SIGTERM');
  await p.exited;
  return { recs: read(), log: readFileSync(join(dir, 'talk.log'), 'utf8') };
}

describe.skipIf(!haveSupervisorPython)('event listeners: procinit vs supervisord, same config, same listener', () => {
  it('delivers the same events with the same headers and payloads', async () => {
    const [sd, pi] = await Promise.all([record('supervisord'), record('procinit')]);
    for (const { recs } of [sd, pi]) {
      expect(recs.every((r) => r.len_ok && r.ver === '3.0' && r.server === 'supervisor' && r.pool === 'rec')).toBe(true);
    }
    // until supervisord says it is stopping; what follows races with the listener's own stop, in both
    const upTo = (recs: Rec[]): Rec[] => recs.slice(0, recs.findIndex((r) => r.eventname === 'SUPERVISOR_STATE_CHANGE_STOPPING') + 1 || recs.length);
    // one sequence per process and pipe: reads of a program's stdout and stderr pipes race, in both
    const ofProcess = (recs: Rec[], name: string | null, stderr: boolean): string[] =>
      upTo(recs)
        .filter((r) => (name === null ? !r.payload.startsWith('processname:') : r.payload.startsWith(`processname:${name} `)))
        .filter((r) => r.eventname.endsWith('_STDERR') === stderr)
        .map((r) => `${r.eventname} ${r.answer} ${norm(r.payload)}`);
    for (const name of [null, 'rec', 'crash', 'done', 'talk']) {
      for (const stderr of [false, true]) {
        expect(ofProcess(pi.recs, name, stderr), `${name ?? 'supervisor and groups'}`).toEqual(ofProcess(sd.recs, name, stderr));
      }
    }
    expect(ofProcess(pi.recs, 'talk', true)).toHaveLength(1);
    // serials: global and pool serials count up, a FAILed event comes again with the same serials
    for (const { recs } of [sd, pi]) {
      const failed = recs.find((r) => r.answer === 'FAIL')!;
      const again = recs.find((r) => r !== failed && r.eventname === failed.eventname && r.payload === failed.payload)!;
      expect([again.serial, again.poolserial]).toEqual([failed.serial, failed.poolserial]);
    }
    // capture mode keeps the message out of the program's log, in both
    expect(pi.log).toBe(sd.log);
    expect(pi.log).toBe('hello  and the rest of the line, long enough\n');
  }, 60_000);
});

reportMissingSupervisorPython();
