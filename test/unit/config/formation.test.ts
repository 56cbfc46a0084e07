import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/config/errors.js';
import { parseFormation } from '../../../src/config/formation.js';
import { applyFormation, loadRun, selectPrograms } from '../../../src/config/load.js';
import { allProcesses } from '../../../src/config/model.js';
import { defaultLoadOptions, type LoadOptions } from '../../../src/config/options.js';
import { readProcfileRun } from '../../../src/config/procfile.js';

describe('parseFormation', () => {
  it('reads name=count pairs', () => {
    expect({ ...parseFormation('web=2,worker=0') }).toEqual({ web: 2, worker: 0 });
    expect({ ...parseFormation('all=2') }).toEqual({ all: 2 });
    expect({ ...parseFormation('all=1,web=3') }).toEqual({ all: 1, web: 3 });
    expect({ ...parseFormation('web-api=1,worker_2=4') }).toEqual({ 'web-api': 1, worker_2: 4 });
  });

  it('ignores whitespace around items', () => {
    expect({ ...parseFormation(' web = 2 , worker=1 ') }).toEqual({ web: 2, worker: 1 });
  });

  it('has no prototype: a type named like an Object property is not found unless given', () => {
    const counts = parseFormation('all=2');
    expect(counts.constructor).toBeUndefined();
    expect(counts.toString).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['web', /'web' is not name=count/],
    ['web=2,worker', /'worker' is not name=count/],
    ['web=two', /count 'two' in 'web=two'/],
    ['web=-1', /count '-1' in 'web=-1'/],
    ['web=1.5', /count '1.5'/],
    ['web=', /count '' in 'web='/],
    ['=2', /'' in '=2' is not a process type name/],
    ['web.1=2', /'web.1' in 'web.1=2' is not a process type name/],
    ['web=1,,worker=2', /empty entry/],
    ['web=1,', /empty entry/],
    ['web=1,web=2', /'web' is given twice/],
  ])('refuses %j with a UsageError naming the bad part', (spec, message) => {
    expect(() => parseFormation(spec)).toThrow(UsageError);
    expect(() => parseFormation(spec)).toThrow(message);
  });
});

describe('formation and selection in load.ts (Procfile runs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-formation-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const procfile = join(dir, 'Procfile');
  writeFileSync(procfile, 'web: node web.js\nworker: node worker.js\nclock: node clock.js\n');

  const opts = (o: Partial<LoadOptions> = {}): LoadOptions =>
    defaultLoadOptions({ cwd: dir, env: {}, procfile: 'Procfile', ...o });
  const names = (o: Partial<LoadOptions>) => allProcesses(loadRun(opts(o))).map((p) => p.name);
  const ports = (o: Partial<LoadOptions>) =>
    Object.fromEntries(allProcesses(loadRun(opts(o))).map((p) => [p.name, p.environment.PORT]));

  it('runs one instance of each type by default', () => {
    expect(names({})).toEqual(['web.1', 'worker.1', 'clock.1']);
  });

  it('web=2,worker=0 scales web up and worker to nothing', () => {
    expect(names({ formation: 'web=2,worker=0' })).toEqual(['web.1', 'web.2', 'clock.1']);
    expect(ports({ formation: 'web=2,worker=0' })).toEqual({ 'web.1': '5000', 'web.2': '5001', 'clock.1': '5200' });
  });

  it('all=N sets every type; a named type overrides all', () => {
    expect(names({ formation: 'all=2' })).toEqual(['web.1', 'web.2', 'worker.1', 'worker.2', 'clock.1', 'clock.2']);
    expect(names({ formation: 'all=0,worker=1' })).toEqual(['worker.1']);
    expect(ports({ formation: 'all=2', port: 3000 })).toEqual({
      'web.1': '3000',
      'web.2': '3001',
      'worker.1': '3100',
      'worker.2': '3101',
      'clock.1': '3200',
      'clock.2': '3201',
    });
  });

  it('instances made by the formation are complete ProcessSpecs', () => {
    const run = loadRun(opts({ formation: 'worker=3' }));
    const worker3 = allProcesses(run).find((p) => p.name === 'worker.3');
    expect(worker3).toMatchObject({
      group: 'worker',
      program: 'worker',
      instance: 3,
      command: 'node worker.js',
      environment: { PORT: '5102', PS: 'worker.3' },
      directory: dir,
    });
  });

  it('an unknown type in the formation is a UsageError naming it', () => {
    expect(() => loadRun(opts({ formation: 'web=1,wrker=2' }))).toThrow(UsageError);
    expect(() => loadRun(opts({ formation: 'web=1,wrker=2' }))).toThrow(/unknown process type 'wrker'/);
  });

  it('a bad formation is a UsageError', () => {
    expect(() => loadRun(opts({ formation: 'web=x' }))).toThrow(UsageError);
  });

  it('`up TYPE...` keeps only those types, with the ports of their place in the whole Procfile', () => {
    expect(names({ only: ['clock'] })).toEqual(['clock.1']);
    expect(ports({ only: ['clock', 'web'] })).toEqual({ 'web.1': '5000', 'clock.1': '5200' });
    expect(ports({ only: ['clock'], formation: 'clock=2' })).toEqual({ 'clock.1': '5200', 'clock.2': '5201' });
  });

  it('selecting an unknown type is a UsageError listing the known ones', () => {
    expect(() => loadRun(opts({ only: ['wbe'] }))).toThrow(UsageError);
    expect(() => loadRun(opts({ only: ['wbe'] }))).toThrow(/unknown process type 'wbe' \(known: web, worker, clock\)/);
  });

  it('selectPrograms and applyFormation work on a RunSpec directly', () => {
    const run = readProcfileRun(procfile, opts({ root: dir }), {});
    expect(selectPrograms(run.programs, []).map((p) => p.name)).toEqual(['web', 'worker', 'clock']);
    run.programs = selectPrograms(run.programs, ['worker']);
    applyFormation(run, null);
    expect(allProcesses(run).map((p) => p.name)).toEqual(['worker.1']);
    applyFormation(run, 'all=3');
    expect(allProcesses(run).map((p) => [p.name, p.environment.PORT])).toEqual([
      ['worker.1', '5100'],
      ['worker.2', '5101'],
      ['worker.3', '5102'],
    ]);
  });
});
