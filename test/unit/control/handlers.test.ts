/** The command handlers over a real Supervisor with fake processes and a fake clock. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun } from '../../../src/config/load.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import type { RunSpec } from '../../../src/config/model.js';
import { silentLogger } from '../../../src/output/log.js';
import { Supervisor } from '../../../src/supervisor/supervisor.js';
import { processStatus, formatUptime, statusHandler, STATUS_SLICE, type StatusResult } from '../../../src/control/handlers/status.js';
import { startAndWait, stopAndWait, startHandler } from '../../../src/control/handlers/start-stop.js';
import { signalHandler } from '../../../src/control/handlers/signal.js';
import { scaleTargets } from '../../../src/control/handlers/scale.js';
import { PreEncoded, RequestError } from '../../../src/control/protocol.js';
import { statusTable } from '../../../src/cli/status.js';
import { actionLines } from '../../../src/cli/start-stop.js';
import { reloadLines } from '../../../src/cli/reload.js';
import { FakeClock, FakeLauncher } from './fakes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function procfileRun(text: string, formation: string | null = null): RunSpec {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-handlers-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'Procfile'), text);
  return loadRun(defaultLoadOptions({ cwd: dir, env: {}, formation, canDie: 'all' }));
}

function supervise(run: RunSpec, tweak: (r: RunSpec) => void = () => {}) {
  tweak(run);
  const clock = new FakeClock();
  let sup!: Supervisor;
  const launcher = new FakeLauncher(() => sup.run, () => clock.now());
  sup = new Supervisor(run, { launcher, clock, log: silentLogger(), signal: launcher.signal });
  return { sup, launcher, clock };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RequestError);
  expect((err as RequestError).code).toBe(code);
}

describe('status', () => {
  it('describes each state and says whether it counts as healthy', async () => {
    const { sup, clock } = supervise(procfileRun('web: serve\nonce: job\nlazy: idle\n'), (r) => {
      r.programs[2].instances[0].autostart = false;
    });
    sup.start();
    await clock.advance(3_725_000);
    const [web, once, lazy] = sup.instances;
    expect(processStatus(web, clock.now())).toMatchObject({ state: 'RUNNING', healthy: true, wanted: true, uptime: 3725, description: 'uptime 1:02:05', restarts: 0, exit: null });
    expect(processStatus(lazy, clock.now())).toMatchObject({ state: 'STOPPED', pid: null, healthy: true, wanted: false, description: 'not started (autostart=false)' });
    await stopAndWait(once);
    expect(processStatus(once, clock.now())).toMatchObject({ state: 'STOPPED', healthy: true, wanted: false, description: 'stopped, 0s ago', exit: { code: null, signal: 'TERM', status: 143 } });
    const result = (await statusHandler(sup)({ names: ['web', 'nope'] })) as StatusResult;
    expect(result.processes.map((p) => p.name)).toEqual(['web.1']);
    expect(result.unknown).toEqual(['nope']);
  });

  it('a status of thousands of processes is made in slices, the same JSON as one JSON.stringify', async () => {
    const n = STATUS_SLICE * 3 + 7;
    const { sup: big } = supervise(procfileRun('many: serve\n', `many=${n}`));
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const raw = await statusHandler(big)({});
    counting = false;
    expect(raw).toBeInstanceOf(PreEncoded);
    const now = Date.now();
    const whole = { processes: big.instances.map((i) => processStatus(i, now)), unknown: [], limits: null };
    expect(JSON.parse((raw as PreEncoded).json)).toEqual(JSON.parse(JSON.stringify(whole)));
    expect(turns).toBeGreaterThanOrEqual(3); // the event loop turned between the slices
  });

  it('formats uptime like supervisorctl', () => {
    expect(formatUptime(5)).toBe('0:00:05');
    expect(formatUptime(90061)).toBe('1 day, 1:01:01');
    expect(formatUptime(3 * 86400)).toBe('3 days, 0:00:00');
  });

  it('table: aligned columns, INFO cut to the terminal width', () => {
    const { sup } = supervise(procfileRun('web: serve\nworker-with-a-long-name: work\n'));
    const rows = sup.instances.map((i) => ({ ...processStatus(i), description: 'x'.repeat(100) }));
    const table = statusTable(rows, 80).trimEnd().split('\n');
    expect(table[0]).toBe('NAME                       STATE    READY  PID  RESTARTS  INFO');
    expect(table[1]).toMatch(/^web\.1 {22}STOPPED {2}- {6}- {4}0 {9}x+…$/);
    expect(table.every((l) => l.length <= 80)).toBe(true);
    expect(statusTable(rows, null).split('\n')[1].length).toBeGreaterThan(80);
  });

  it('table: a program of a [group:x] shows as x:name, as in supervisorctl', () => {
    const { sup } = supervise(procfileRun('web: serve\n'));
    const row = { ...processStatus(sup.instances[0]), group: 'app', program: 'a', name: 'a' };
    expect(statusTable([row], 80).split('\n')[1]).toMatch(/^app:a +STOPPED/);
  });
});

describe('start and stop', () => {
  it('start waits for RUNNING after startsecs', async () => {
    const { sup, clock } = supervise(procfileRun('web: serve\n'), (r) => {
      r.programs[0].instances[0].startsecs = 2;
      r.programs[0].instances[0].autostart = false;
    });
    const inst = sup.instances[0];
    let result: unknown = null;
    void startAndWait(sup, inst).then((r) => (result = r));
    await clock.advance(1000);
    expect(result).toBeNull();
    expect(inst.state).toBe('STARTING');
    await clock.advance(1000);
    expect(result).toEqual({ name: 'web.1', ok: true, state: 'RUNNING', message: 'started' });
  });

  it('start follows BACKOFF retries to FATAL and says why', async () => {
    const { sup, clock, launcher } = supervise(procfileRun('web: serve\nbad: crash\n'), (r) => {
      r.onFatal = 'keep';
      for (const p of r.programs) p.instances[0].autostart = false;
      Object.assign(r.programs[1].instances[0], { startsecs: 1, startretries: 2 });
    });
    launcher.dies = /crash/;
    let results: unknown = null;
    void startHandler(sup)({ names: ['all'] }).then((r) => (results = r));
    await clock.advance(10_000);
    expect(results).toEqual({
      results: [
        { name: 'web.1', ok: true, state: 'RUNNING', message: 'started' },
        { name: 'bad.1', ok: false, state: 'FATAL', message: 'could not start: exited with code 1' },
      ],
    });
    expect(launcher.launched.filter((l) => l.name === 'bad.1')).toHaveLength(3);
  });

  it('stop of a process that is not running is not an error; start during shutdown is refused', async () => {
    const { sup } = supervise(procfileRun('web: serve\n'), (r) => {
      r.programs[0].instances[0].autostart = false;
    });
    expect(await stopAndWait(sup.instances[0])).toEqual({ name: 'web.1', ok: true, state: 'STOPPED', message: 'not running' });
    void sup.shutdown('test');
    await rejectsWith(startHandler(sup)({ names: ['web'] }), 'shutting_down');
  });

  it('unknown names and missing names are refused before anything happens', async () => {
    const { sup, launcher } = supervise(procfileRun('web: serve\n'), (r) => {
      r.programs[0].instances[0].autostart = false;
    });
    await rejectsWith(startHandler(sup)({ names: ['web', 'wbe'] }), 'no_such_process');
    await rejectsWith(startHandler(sup)({}), 'invalid_args');
    await rejectsWith(startHandler(sup)({ names: 'web' }), 'invalid_args');
    expect(launcher.launched).toEqual([]);
  });
});

describe('signal', () => {
  it('sends to live processes (their group for Procfile processes) and reports the others', async () => {
    const { sup, launcher } = supervise(procfileRun('web: serve\nworker: work\n'), (r) => {
      r.programs[1].instances[0].autostart = false;
    });
    sup.start();
    const res = await signalHandler(sup)({ signal: '10', names: ['all'] });
    expect(res.results.map((r) => `${r.name} ${r.ok} ${r.message}`)).toEqual(['web.1 true sent SIGUSR1', 'worker.1 false not running']);
    expect(launcher.signals).toEqual([{ pid: 1000, signal: 'USR1' }]);
    await rejectsWith(signalHandler(sup)({ signal: 'BOGUS', names: ['web'] }), 'invalid_args');
  });
});

describe('scale targets', () => {
  it('checks names and counts; all=N fills the rest', () => {
    const { sup } = supervise(procfileRun('web: serve\nworker: work\nclock: tick\n'));
    expect(scaleTargets(sup, { web: 3, all: 0 })).toEqual([['web', 3], ['worker', 0], ['clock', 0]]);
    expect(() => scaleTargets(sup, { nope: 1 })).toThrow(/no such process type 'nope'/);
    expect(() => scaleTargets(sup, { web: -1 })).toThrow(/whole number from 0 to 1000/);
    expect(() => scaleTargets(sup, { web: 1.5 })).toThrow(RequestError);
    expect(() => scaleTargets(sup, [])).toThrow(RequestError);
    expect(() => scaleTargets(sup, {})).toThrow(RequestError);
  });
});

describe('client text output', () => {
  it('one aligned line per process, ERROR (...) for failures', () => {
    expect(actionLines([
      { name: 'web.1', ok: true, state: 'RUNNING', message: 'started' },
      { name: 'worker.1', ok: false, state: 'FATAL', message: 'could not start: exited with code 1' },
    ])).toBe('web.1:    started\nworker.1: ERROR (could not start: exited with code 1)\n');
  });

  it('reload summary', () => {
    expect(reloadLines({ added: ['a.1'], removed: ['b.1'], changed: ['c.1'], unchanged: ['d.1'] })).toBe('a.1: added\nb.1: removed\nc.1: changed, restarted\n(1 unchanged)\n');
    expect(reloadLines({ added: [], removed: [], changed: [], unchanged: ['d.1'] })).toBe('nothing changed (1 process)\n');
  });
});
