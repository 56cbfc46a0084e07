/**
 * A burst of events through a pool, under the real supervisord and procinit with the same config and
 * listener: a program writes 60 PROCESS_COMMUNICATION messages in one write while the pool holds 25. Both
 * must drop the same 35 oldest (logging each), then deliver the other 25 in order, with consecutive
 * serials and pool serials, none lost; one event in flight at a time (the listener answers each before the
 * next comes, or the protocol would break).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveSupervisorPython, PYTHON, reportMissingSupervisorPython } from '../../helpers/supervisord-python.js';
import { fixtureDir, startProcinit, until, Watched } from '../../helpers/procinit.js';
import { finishedJsonLines } from '../../helpers/finished-lines.js';

const RECORDER = resolve(__dirname, '../../fixtures/events/recorder.py');
const BURST = resolve(__dirname, '../../fixtures/events/burst.py');
const N = 60;
const BUFFER = 25;

const conf = (out: string): string => `[supervisord]
nodaemon=true
logfile=%(here)s/main.log
pidfile=%(here)s/sd.pid
childlogdir=%(here)s
loglevel=info

[eventlistener:rec]
command=${PYTHON} ${RECORDER} ${out}
events=PROCESS_COMMUNICATION
buffer_size=${BUFFER}
stdout_logfile=NONE
stderr_logfile=NONE
startsecs=0

[program:burst]
command=${PYTHON} ${BURST} ${out} ${N}
stdout_capture_maxbytes=1KB
stdout_logfile=NONE
startsecs=0
`;

interface Rec {
  serial: string;
  poolserial: string;
  payload: string;
}

async function run(which: 'supervisord' | 'procinit'): Promise<{ recs: Rec[]; log: string }> {
  const dir = fixtureDir({});
  const out = join(dir, 'events.jsonl');
  writeFileSync(join(dir, 'supervisord.conf'), conf(out));
  const p: Watched =
    which === 'procinit'
      ? startProcinit(['-c', 'supervisord.conf'], { cwd: dir })
      : new Watched(spawn(PYTHON, ['-m', 'supervisor.supervisord', '-n', '-c', 'supervisord.conf'], { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } }));
  const read = (): Rec[] => finishedJsonLines<Rec>(out);
  await until(() => read().some((r) => r.payload.endsWith(`m${N - 1}`)), 30_000, `${which}: the last of the burst`).catch((err: Error) => {
    p.child.kill('SIGKILL');
    throw new Error(`${err.message}\n${p.output}\n${read().map((r) => r.payload).join('\n')}`);
  });
  p.child.kill('SIGTERM');
  await p.exited;
  return { recs: read(), log: readFileSync(join(dir, 'main.log'), 'utf8') };
}

describe.skipIf(!haveSupervisorPython)('a burst of events: procinit vs supervisord', () => {
  it('drops the oldest beyond buffer_size, then delivers the rest in order with consecutive serials', async () => {
    const [sd, pi] = await Promise.all([run('supervisord'), run('procinit')]);
    const dropped = N - BUFFER;
    for (const { recs, log } of [sd, pi]) {
      const text = (r: Rec): string => r.payload.slice(r.payload.indexOf('\n') + 1);
      expect(recs.map(text)).toEqual(['first', ...Array.from({ length: BUFFER }, (_, i) => `m${String(dropped + i).padStart(2, '0')}`)]);
      expect(recs.map((r) => Number(r.serial))).toEqual([0, ...Array.from({ length: BUFFER }, (_, i) => 1 + dropped + i)]);
      expect(recs.map((r) => Number(r.poolserial))).toEqual(recs.map((r) => Number(r.serial)));
      const overflows = log.split('\n').filter((l) => l.includes('pool rec event buffer overflowed, discarding event'));
      expect(overflows.map((l) => Number(/discarding event (\d+)/.exec(l)![1]))).toEqual(Array.from({ length: dropped }, (_, i) => 1 + i));
    }
  }, 60_000);
});

reportMissingSupervisorPython();
