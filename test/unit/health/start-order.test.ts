/** depends_on at run time: which instances wait, for what, and the stop order, with a real Supervisor and a fake launcher. */
import { describe, expect, it } from 'vitest';
import { loadRun } from '../../../src/config/load.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import { DependencyGate } from '../../../src/health/start-order.js';
import { Supervisor } from '../../../src/supervisor/supervisor.js';
import { silentLogger } from '../../../src/output/log.js';
import { fixtureDir } from '../../helpers/procinit.js';
import { FakeClock, FakeLauncher } from '../../helpers/fakes.js';

function setup() {
  const dir = fixtureDir({
    Procfile: 'web: w\nworker: k\ndb: d\nmigrate: m\n',
    'procinit.toml': '[web]\ndepends_on = { db = "ready", migrate = "completed_successfully" }\n[worker]\ndepends_on = ["web"]\n',
  });
  const run = loadRun(defaultLoadOptions({ env: {}, cwd: dir, procfile: `${dir}/Procfile` }));
  const clock = new FakeClock();
  const launcher = new FakeLauncher(clock);
  const sup = new Supervisor(run, { launcher, clock, log: silentLogger(), signal: () => {} });
  const gate = new DependencyGate(run, sup);
  sup.setStartGate(gate);
  const inst = (name: string) => sup.instances.find((i) => i.name === name)!;
  return { sup, gate, launcher, inst };
}

describe('DependencyGate', () => {
  it('holds dependents until started / ready / completed_successfully hold, then starts them', () => {
    const { sup, gate, launcher, inst } = setup();
    inst('db.1').readyFlag = false; // as health does for a program with a readiness check
    sup.start();
    expect(sup.instances.filter((i) => i.state !== 'STOPPED').map((i) => i.name)).toEqual(['db.1', 'migrate.1']);
    expect(sup.waitingFor(inst('web.1'))).toBe('db to be ready');
    expect(sup.waitingFor(inst('worker.1'))).toBe('web to be started');
    sup.startWaiting();
    expect(gate.waitingFor(inst('web.1'))).toBe('db to be ready');
    inst('db.1').readyFlag = true;
    sup.startWaiting();
    expect(sup.waitingFor(inst('web.1'))).toBe('migrate to complete successfully');
    expect(launcher.children).toHaveLength(2); // db.1, migrate.1
    inst('migrate.1').completesForOthers = true; // as the health monitor marks it: its success does not end the run
    launcher.children[1].exit(0);
    expect(inst('web.1').state).toBe('RUNNING');
    expect(inst('worker.1').state).toBe('RUNNING');
    expect(sup.waitingFor(inst('worker.1'))).toBeNull();
  });

  it('ranks stops: dependents first', () => {
    const { gate, inst } = setup();
    expect(['worker.1', 'web.1', 'db.1', 'migrate.1'].map((n) => gate.stopRank(inst(n)))).toEqual([2, 1, 0, 0]);
  });
});

/** n programs p0 … p(n-1), each depending on the next: p0 waits for p1, …, p(n-2) for p(n-1). */
function chain(n: number): ReturnType<typeof loadRun> {
  const procfile: string[] = [];
  const toml: string[] = [];
  for (let i = 0; i < n; i++) {
    procfile.push(`p${i}: sleep 1000`);
    if (i + 1 < n) toml.push(`[p${i}]`, `depends_on = ["p${i + 1}"]`);
  }
  const dir = fixtureDir({ Procfile: `${procfile.join('\n')}\n`, 'procinit.toml': `${toml.join('\n')}\n` });
  return loadRun(defaultLoadOptions({ env: {}, cwd: dir, procfile: `${dir}/Procfile` }));
}

describe('a depends_on chain of 100,000 programs', () => {
  it('is checked and ranked without deep recursion (the call stack overflowed)', () => {
    const n = 100_000;
    const run = chain(n);
    const clock = new FakeClock();
    const sup = new Supervisor(run, { launcher: new FakeLauncher(clock), clock, log: silentLogger(), signal: () => {} });
    const gate = new DependencyGate(run, sup);
    const byName = new Map(sup.instances.map((i) => [i.name, i]));
    expect(gate.stopRank(byName.get('p0.1')!)).toBe(n - 1);
    expect(gate.stopRank(byName.get('p50000.1')!)).toBe(n - 1 - 50_000);
    expect(gate.stopRank(byName.get(`p${n - 1}.1`)!)).toBe(0);
  }, 60_000);

  it('starts in linear time: a change asks only its dependents, and each dependency once per pass', () => {
    // before: every state change asked every held-back instance, each scanning all instances (O(n^2) per
    // change; a chain of 100,000 spun for minutes), and each start recursed into the next (stack overflow)
    const n = 20_000;
    const run = chain(n);
    for (const p of run.programs) for (const s of p.instances) s.startsecs = 0; // RUNNING at once: the whole chain starts inside start()
    const clock = new FakeClock();
    const launcher = new FakeLauncher(clock);
    const sup = new Supervisor(run, { launcher, clock, log: silentLogger(), signal: () => {} });
    let looked = 0; // instances the gate looked at
    const gate = new DependencyGate(run, {
      instancesOf: (program) => {
        const found = sup.instancesOf(program);
        looked += found.length;
        return found;
      },
    });
    sup.setStartGate(gate);
    const began = performance.now();
    sup.start();
    const ms = performance.now() - began;
    expect(sup.instances.every((i) => i.state === 'RUNNING')).toBe(true);
    expect(launcher.children).toHaveLength(n);
    expect(looked).toBeLessThanOrEqual(3 * n); // linear: quadratic was ~n^2/2 = 5e9
    expect(ms).toBeLessThan(20_000); // 0.3 s (1.6 s for 100,000) at load 2.7; minutes before
  }, 120_000);

  it('a cycle at the end of a long chain is named, not a stack overflow', () => {
    const n = 30_000;
    const procfile: string[] = [];
    const toml: string[] = [];
    for (let i = 0; i < n; i++) {
      procfile.push(`p${i}: sleep 1000`);
      toml.push(`[p${i}]`, `depends_on = ["p${i + 1 < n ? i + 1 : n - 2}"]`);
    }
    const dir = fixtureDir({ Procfile: `${procfile.join('\n')}\n`, 'procinit.toml': `${toml.join('\n')}\n` });
    expect(() => loadRun(defaultLoadOptions({ env: {}, cwd: dir, procfile: `${dir}/Procfile` }))).toThrow(
      `depends_on forms a cycle: p${n - 2} -> p${n - 1} -> p${n - 2}`,
    );
  }, 60_000);
});
