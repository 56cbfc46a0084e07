/**
 * Listeners that break the protocol cost only themselves: procinit keeps serving the well-behaved listener
 * and the programs, and stops within its grace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveSupervisorPython, PYTHON } from '../../helpers/supervisord-python.js';
import { fixtureDir, startProcinit, until } from '../../helpers/procinit.js';
import { finishedLines } from '../../helpers/finished-lines.js';

const RECORDER = resolve(__dirname, '../../fixtures/events/recorder.py');
const FIXTURES = '/usr/lib/python3/dist-packages/supervisor/tests/fixtures';

const listener = (name: string, command: string, extra = ''): string =>
  `[eventlistener:${name}]\ncommand=${command}\nevents=PROCESS_STATE,TICK_5\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n${extra}\n`;

describe.skipIf(!haveSupervisorPython)('hostile event listeners', () => {
  it('never READY, garbage, a huge RESULT length, a crash loop, a reader that never reads: the others go on', async () => {
    const dir = fixtureDir({});
    const out = join(dir, 'good.jsonl');
    const conf =
      '[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n[procinit]\non_fatal = keep\n\n' +
      listener('silent', 'sleep 300') +
      listener('garbage', `sh -c "printf 'HELLO WORLD\\n'; exec sleep 300"`) +
      listener('huge', `sh -c "printf 'READY\\n'; read line; printf 'RESULT 99999999999999999999\\n'; exec sleep 300"`) +
      listener('flood', `sh -c "printf 'READY\\n'; exec head -c 30000000 /dev/zero"`, 'autorestart=false') +
      listener('dies', `sh -c "printf 'READY\\n'; read line; exit 1"`, 'startretries=100\nautorestart=true') +
      listener('deaf', `sh -c "printf 'READY\\n'; exec sleep 300"`, 'buffer_size=2') +
      listener('good', `${PYTHON} ${RECORDER} ${out}`) +
      '[program:web]\ncommand=sh -c "echo web up; exec sleep 300"\nstartsecs=0\nstdout_logfile=/dev/stdout\n';
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'supervisord.conf'), conf);
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    await p.waitFor('garbage: has entered the UNKNOWN state');
    await p.waitFor('huge: has entered the UNKNOWN state');
    await p.waitFor(/^web up$/m); // raw, as supervisord writes it
    const good = (): string[] => finishedLines(out);
    // the good listener hears about the dying one's restarts
    await until(() => good().filter((l) => l.includes('processname:dies') && l.includes('PROCESS_STATE_STARTING')).length >= 3, 30_000, 'restarts of dies');
    await p.waitFor('pool deaf event buffer overflowed');
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(exit.code).toBe(0);
    expect(good().every((l) => JSON.parse(l).len_ok)).toBe(true);
  }, 60_000);

  it("supervisor's issue 733: a one-line shell listener stops everything when a program goes FATAL", async () => {
    const dir = fixtureDir({});
    const { writeFileSync } = await import('node:fs');
    // as the fixture, with procinit's own FATAL shutdown off, so that only the listener can end the run
    writeFileSync(join(dir, 'supervisord.conf'), readFileSync(join(FIXTURES, 'issue-733.conf'), 'utf8').replace(/^logfile=.*$/m, 'logfile=/dev/null').replace(/^pidfile=.*$/m, '') + '\n[procinit]\non_fatal = keep\n');
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    await p.waitFor(/SIGTERM/);
    expect((await p.exited).code).not.toBeNull();
  }, 30_000);

  it('when a FATAL ends the run (procinit default), the listeners still hear of it and of the stop', async () => {
    const dir = fixtureDir({});
    const out = join(dir, 'rec.jsonl');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(dir, 'supervisord.conf'),
      '[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n' +
        listener('rec', `${PYTHON} ${RECORDER} ${out}`).replace('events=PROCESS_STATE,TICK_5', 'events=PROCESS_STATE_FATAL,SUPERVISOR_STATE_CHANGE_STOPPING') +
        '[program:bad]\ncommand=%(here)s/nonexistent\nstartsecs=0\nstartretries=0\nautorestart=false\n',
    );
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    const exit = await p.exited;
    expect(exit.code).not.toBe(0);
    const got = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).eventname) : [];
    expect(got).toEqual(['PROCESS_STATE_FATAL', 'SUPERVISOR_STATE_CHANGE_STOPPING']);
  }, 30_000);

  it("supervisor's issue 663: listener.py gets TICK_5 events; the debug log shows the protocol", async () => {
    const dir = fixtureDir({});
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(dir, 'supervisord.conf'),
      readFileSync(join(FIXTURES, 'issue-663.conf'), 'utf8').replace(/^logfile=.*$/m, 'logfile=/dev/null').replace(/^pidfile=.*$/m, '').replace('%(here)s', FIXTURES).replace('command=python ', `command=${PYTHON} `),
    );
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    // two ticks (5 s apart), each answered: what the end-to-end test waits for, twice
    await until(() => p.count(/OKREADY/g) >= 2 && p.count(/BUSY -> ACKNOWLEDGED/g) >= 2, 30_000, 'two ticks');
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }, 40_000);
});
