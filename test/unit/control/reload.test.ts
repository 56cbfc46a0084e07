/** supervisor/reload.ts: the difference between two configs, applied to a supervisor with fake processes. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun } from '../../../src/config/load.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import type { RunSpec } from '../../../src/config/model.js';
import { silentLogger } from '../../../src/output/log.js';
import { FakeLauncher } from './fakes.js';
import { Supervisor } from '../../../src/supervisor/supervisor.js';
import { applyReload, FormationMemory, planReload, sameProcess, stableStringify } from '../../../src/supervisor/reload.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-reload-'));
  dirs.push(dir);
  write(dir, files);
  return dir;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

function load(dir: string, formation: string | null = null): RunSpec {
  return loadRun(defaultLoadOptions({ cwd: dir, env: {}, formation }));
}

function supervise(run: RunSpec): { sup: Supervisor; launcher: FakeLauncher } {
  let sup!: Supervisor;
  const launcher = new FakeLauncher(() => sup.run);
  sup = new Supervisor(run, { launcher, log: silentLogger(), signal: launcher.signal });
  sup.start();
  return { sup, launcher };
}

describe('sameProcess', () => {
  it('ignores where a process is written, not what it inherits', () => {
    const dir = project({ Procfile: 'web: serve\nworker: work\n' });
    const a = load(dir);
    write(dir, { Procfile: '# a comment moves every line\nweb: serve\nworker: work\n' });
    const b = load(dir);
    expect(a.programs[0].instances[0].source.line).not.toBe(b.programs[0].instances[0].source.line);
    expect(sameProcess(a, a.programs[0].instances[0], b, b.programs[0].instances[0])).toBe(true);
    write(dir, { '.env': 'A=1\n' });
    const c = load(dir);
    expect(sameProcess(a, a.programs[0].instances[0], c, c.programs[0].instances[0])).toBe(false);
  });

  it('stableStringify does not depend on key order', () => {
    expect(stableStringify({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(stableStringify({ a: [{ x: 1, y: 2 }], b: 1 }));
  });
});

describe('planReload', () => {
  it('sorts processes into added, removed, changed, unchanged', () => {
    const dir = project({ Procfile: 'web: serve\nworker: work\nold: legacy\n' });
    const before = load(dir);
    write(dir, { Procfile: 'web: serve\nworker: work --fast\nold: legacy\nclock: tick\n' });
    const after = load(dir);
    const { sup } = supervise(before);
    const plan = planReload(before, sup.instances, after);
    expect(plan.unchanged.map((i) => i.name)).toEqual(['web.1', 'old.1']);
    expect(plan.changed.map((c) => c.spec.name)).toEqual(['worker.1']);
    expect(plan.added.map((s) => s.name)).toEqual(['clock.1']);
    expect(plan.removed).toEqual([]);
  });
});

describe('applyReload', () => {
  it('starts added, stops removed, restarts changed, leaves unchanged alone', async () => {
    const dir = project({ Procfile: 'web: serve\nworker: work\nold: legacy\n' });
    const { sup, launcher } = supervise(load(dir));
    const web = sup.instances.find((i) => i.name === 'web.1')!;
    const webPid = web.pid;
    write(dir, { Procfile: 'web: serve\nworker: work --fast\nclock: tick\n' });
    const summary = await applyReload(sup, load(dir));
    expect(summary.unchanged).toEqual(['web.1']);
    expect(summary.changed).toEqual(['worker.1']);
    expect(summary.removed).toEqual(['old.1']);
    expect(summary.added).toEqual(['clock.1']);
    expect(sup.instances.map((i) => `${i.name}:${i.state}`)).toEqual(['web.1:RUNNING', 'worker.1:RUNNING', 'clock.1:RUNNING']);
    expect(sup.instances[0]).toBe(web);
    expect(web.pid).toBe(webPid);
    expect(launcher.launched.slice(3).map((l) => `${l.name} ${l.command}`)).toEqual(['worker.1 work --fast', 'clock.1 tick']);
    expect(sup.run.programs.map((p) => p.name)).toEqual(['web', 'worker', 'clock']);
  });

  it('restarts everything that sees a changed .env, with the new environment', async () => {
    const dir = project({ Procfile: 'web: serve\n', '.env': 'GREETING=hello\n' });
    const run = load(dir);
    const { sup, launcher } = supervise(run);
    write(dir, { '.env': 'GREETING=bonjour\n' });
    const summary = await applyReload(sup, load(dir));
    expect(summary.changed).toEqual(['web.1']);
    expect(sup.run).toBe(run); // updated in place: the launcher holds the same object
    expect(launcher.launched.at(-1)!.env.GREETING).toBe('bonjour');
  });

  it('changes nothing when nothing changed', async () => {
    const dir = project({ Procfile: 'web: serve\nworker: work\n' });
    const { sup, launcher } = supervise(load(dir));
    const summary = await applyReload(sup, load(dir));
    expect(summary).toEqual({ added: [], removed: [], changed: [], unchanged: ['web.1', 'worker.1'] });
    expect(launcher.launched).toHaveLength(2);
  });
});

describe('FormationMemory', () => {
  it('keeps a run-time scale across a reload unless the config changes that count', async () => {
    const dir = project({ Procfile: 'web: serve\nworker: work\n' });
    const run = load(dir);
    const { sup } = supervise(run);
    const memory = new FormationMemory(run);
    await sup.scale('web', 3);
    memory.noteScale('web', 3);

    let next = load(dir);
    memory.carryOver(next);
    let summary = await applyReload(sup, next);
    expect([...summary.unchanged].sort()).toEqual(['web.1', 'web.2', 'web.3', 'worker.1']);
    expect(summary.added.length + summary.removed.length + summary.changed.length).toBe(0);
    expect(sup.instances.map((i) => i.name)).toEqual(['web.1', 'web.2', 'web.3', 'worker.1']); // config order again

    next = load(dir, 'web=2');
    memory.carryOver(next);
    summary = await applyReload(sup, next);
    expect(summary.removed).toEqual(['web.3']);
    expect(sup.instances.map((i) => i.name)).toEqual(['web.1', 'web.2', 'worker.1']);
  });
});
