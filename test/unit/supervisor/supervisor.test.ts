/** The Supervisor with fake processes: run-level policy. */
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../../src/supervisor/supervisor.js';
import { silentLogger } from '../../../src/output/log.js';
import { noHealth, type ProcessSpec, type RunSpec } from '../../../src/config/model.js';
import { FakeClock, FakeLauncher, spec } from '../../helpers/fakes.js';

function runOf(specs: ProcessSpec[]): RunSpec {
  return {
    format: 'supervisord', file: 'x.conf', root: '/', onFatal: 'shutdown', socketPath: null, logfile: null, loglevel: null,
    pidfile: null, environment: {}, umask: null, warnings: [],
    programs: specs.map((s) => ({ name: s.program, group: s.group, instances: [s], instantiate: () => s, firstInstance: 0, source: s.source, health: noHealth() })),
  };
}

describe('Supervisor', () => {
  it('keeps running a program that exits at once under autorestart=true with startsecs=0', () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher(clock);
    const sup = new Supervisor(runOf([spec({ startsecs: 0, autorestart: 'true' })]), { launcher, clock, log: silentLogger(), signal: () => {} });
    sup.start();
    for (let i = 0; i < 100; i++) launcher.last.exit(0);
    expect(launcher.children).toHaveLength(101);
    expect(sup.stopping).toBe(false);
    expect(sup.instances[0].state).toBe('RUNNING');
  });

  it("tells each spawn to its observers once (src/health's notification-fd warning was said twice)", () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher(clock);
    const sup = new Supervisor(runOf([spec({ startsecs: 0, autorestart: 'true' })]), { launcher, clock, log: silentLogger(), signal: () => {} });
    const seen: number[] = [];
    sup.on('spawn', (_inst, child: { pid: number }) => seen.push(child.pid));
    sup.start();
    launcher.last.exit(1);
    expect(seen).toEqual(launcher.children.map((c) => c.pid));
    expect(seen).toHaveLength(2);
  });

  it('forgets the pids of exited children, so the reaper may reap a reused pid', () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher(clock);
    const sup = new Supervisor(runOf([spec({ startsecs: 0, autorestart: 'true' })]), { launcher, clock, log: silentLogger(), signal: () => {} });
    sup.start();
    const first = launcher.last.pid;
    launcher.last.exit(1);
    expect(sup.ownPids().has(first)).toBe(false);
    expect(sup.ownPids().has(launcher.last.pid)).toBe(true);
  });

  it('ends the run when every program has ended by itself', async () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher(clock);
    const sup = new Supervisor(runOf([spec({ startsecs: 0, autorestart: 'false' })]), { launcher, clock, log: silentLogger(), signal: () => {} });
    sup.start();
    launcher.last.exit(0);
    expect((await sup.done).code).toBe(0);
  });

  it('keeps running with nothing to run when [procinit] on_idle = keep, as supervisord does', () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher(clock);
    const sup = new Supervisor({ ...runOf([spec({ startsecs: 0, autorestart: 'false' })]), onIdle: 'keep' }, { launcher, clock, log: silentLogger(), signal: () => {} });
    sup.start();
    launcher.last.exit(0);
    expect(sup.result).toBeNull();
    expect(sup.stopping).toBe(false);
  });
});

describe('Supervisor indexes (status and depends_on ask them once per instance)', () => {
  it('program(name) and instancesOf(name) answer from indexes that follow replaced programs and instances', () => {
    const n = 50_000;
    const specs = Array.from({ length: n }, (_, i) => spec({ name: `p${i}`, program: `p${i}`, group: `p${i}` }));
    const run = runOf(specs);
    const clock = new FakeClock();
    const sup = new Supervisor(run, { launcher: new FakeLauncher(clock), clock, log: silentLogger(), signal: () => {} });
    const began = performance.now();
    for (let i = 0; i < n; i++) {
      if (sup.program(`p${i}`)?.name !== `p${i}`) throw new Error(`p${i} not found`);
      if (sup.instancesOf(`p${i}`)[0]?.name !== `p${i}`) throw new Error(`p${i}'s instance not found`);
    }
    // a scan per question was quadratic: 1.25e9 comparisons, seconds; indexed about 50 ms
    expect(performance.now() - began).toBeLessThan(2000);
    const extra = runOf([spec({ name: 'late', program: 'late', group: 'late' })]).programs[0];
    run.programs = [...run.programs.slice(1), extra]; // a reload replaces the array
    expect(sup.program('p0')).toBeUndefined();
    expect(sup.program('late')?.name).toBe('late');
    const late = sup.add(extra.instances[0]);
    expect(sup.instancesOf('late')).toEqual([late]);
    sup.removeInstance(sup.instancesOf('p1')[0]);
    expect(sup.instancesOf('p1')).toEqual([]);
    expect(sup.has(late)).toBe(true);
    sup.setInstances(sup.instances.filter((i) => i !== late));
    expect(sup.has(late)).toBe(false);
    expect(sup.instancesOf('late')).toEqual([]);
  });
});
