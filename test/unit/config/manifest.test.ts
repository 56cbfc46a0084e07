import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../../src/config/errors.js';
import { readManifestAppName, readManifestRun } from '../../../src/config/manifest.js';
import { allProcesses } from '../../../src/config/model.js';
import { defaultLoadOptions, type LoadOptions } from '../../../src/config/options.js';
import { configError } from '../../helpers/config-error.js';

const dir = mkdtempSync(join(tmpdir(), 'procinit-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function manifest(text: string): string {
  const file = join(dir, `manifest-${++n}.yml`);
  writeFileSync(file, text);
  return file;
}
const opts = (o: Partial<LoadOptions> = {}): LoadOptions => defaultLoadOptions({ env: {}, cwd: dir, root: dir, ...o });


/** Shaped like Cloud Foundry's docs: an app with web and worker processes, two instances each. */
const MANIFEST = `---
applications:
- name: my-app
  memory: 1G
  buildpacks:
  - ruby_buildpack
  env:
    RAILS_ENV: production
    WEB_CONCURRENCY: 3
    FEATURE_X: true
  processes:
  - type: web
    command: bundle exec rackup config.ru -p $PORT
    instances: 2
    memory: 512M
    health-check-type: http
    health-check-http-endpoint: /health
  - type: worker
    command: bundle exec rake worker:start
    instances: 2
    disk_quota: 1G
- name: my-other-app
  processes:
  - type: web
    command: bin/other
`;

describe('readManifestRun', () => {
  it("reads the first application's processes: type, command, instances", () => {
    const file = manifest(MANIFEST);
    const run = readManifestRun(file, opts(), {});
    expect(run.format).toBe('manifest');
    expect(run.root).toBe(dir);
    expect(run.programs.map((p) => [p.name, p.instances.length, p.source.line])).toEqual([
      ['web', 2, 12],
      ['worker', 2, 18],
    ]);
    expect(allProcesses(run).map((p) => [p.name, p.command, p.environment.PORT, p.environment.PS])).toEqual([
      ['web.1', 'bundle exec rackup config.ru -p $PORT', '5000', 'web.1'],
      ['web.2', 'bundle exec rackup config.ru -p $PORT', '5001', 'web.2'],
      ['worker.1', 'bundle exec rake worker:start', '5100', 'worker.1'],
      ['worker.2', 'bundle exec rake worker:start', '5101', 'worker.2'],
    ]);
    expect(allProcesses(run)[3]).toMatchObject({ group: 'worker', program: 'worker', instance: 2, argv: null, exitEndsRun: true });
  });

  it('notes the ignored keys of each process, and the other applications, as warnings with lines', () => {
    const file = manifest(MANIFEST);
    const { warnings } = readManifestRun(file, opts(), {});
    expect(warnings).toEqual([
      { file, line: 3, message: "using the first application 'my-app'; 1 other(s) ignored (choose one with --app NAME)" },
      { file, line: 18, message: "process 'worker': ignored disk_quota (procinit reads type, command, instances, memory and the health-check keys)" },
    ]);
  });

  it("the application's env: is the run's environment (scalars as strings), under the env files", () => {
    const run = readManifestRun(manifest(MANIFEST), opts(), { RAILS_ENV: 'staging' });
    expect(run.environment).toEqual({ RAILS_ENV: 'staging', WEB_CONCURRENCY: '3', FEATURE_X: 'true' });
  });

  it('--app NAME picks that application; an unknown one is a usage error listing them', () => {
    const file = manifest(MANIFEST);
    const run = readManifestRun(file, opts({ app: 'my-other-app' }), {});
    expect(allProcesses(run).map((p) => [p.name, p.command])).toEqual([['web.1', 'bin/other']]);
    expect(run.warnings).toEqual([]);
    expect(() => readManifestRun(file, opts({ app: 'nope' }), {})).toThrow(UsageError);
    expect(() => readManifestRun(file, opts({ app: 'nope' }), {})).toThrow(/applications: my-app, my-other-app/);
    expect(readManifestAppName(file, null)).toBe('my-app');
    expect(readManifestAppName(file, 'my-other-app')).toBe('my-other-app');
  });

  it('an application without processes: but with command: is one web process', () => {
    const file = manifest('applications:\n- name: a\n  command: node server.js\n  instances: 3\n');
    const run = readManifestRun(file, opts(), {});
    expect(run.programs.map((p) => [p.name, p.instances.length, p.source.line])).toEqual([['web', 3, 3]]);
  });

  it('app-level command/instances next to processes: are noted as ignored', () => {
    const file = manifest('applications:\n- name: a\n  instances: 4\n  processes:\n  - type: web\n    command: x\n');
    const run = readManifestRun(file, opts(), {});
    expect(run.programs[0].instances).toHaveLength(1);
    expect(run.warnings.map((w) => [w.line, w.message])).toEqual([
      [3, "application 'a': app-level instances: ignored (the processes: list says what runs)"],
    ]);
  });

  it('instances: 0 gives a type with no instances; instantiate still makes them (-m / scale)', () => {
    const file = manifest('applications:\n- name: a\n  processes:\n  - type: web\n    command: x\n  - type: clock\n    command: y\n    instances: 0\n');
    const run = readManifestRun(file, opts(), {});
    expect(run.programs[1].instances).toEqual([]);
    expect(run.programs[1].instantiate(1).environment).toEqual({ PORT: '5100', PS: 'clock.1' });
  });

  it('follows anchors, aliases and << merge keys', () => {
    const file = manifest(`defaults: &defaults
  instances: 2
  memory: 256M
applications:
- name: a
  processes:
  - <<: *defaults
    type: web
    command: bin/web
  - <<: *defaults
    type: worker
    command: bin/worker
    instances: 1
`);
    const run = readManifestRun(file, opts(), {});
    expect(run.programs.map((p) => [p.name, p.instances.length])).toEqual([
      ['web', 2],
      ['worker', 1],
    ]);
    expect(run.warnings).toEqual([]);
    expect(run.programs.map((p) => p.health.limits.memoryBytes)).toEqual([256 * 2 ** 20, 256 * 2 ** 20]);
  });

  it('warns about ((variables)) it cannot interpolate', () => {
    const file = manifest('applications:\n- name: a\n  processes:\n  - type: web\n    command: bin/web --db ((db_url))\n');
    expect(readManifestRun(file, opts(), {}).warnings.map((w) => [w.line, w.message])).toEqual([
      [5, "process 'web': ((variables)) in the command are not interpolated"],
    ]);
  });

  it('accepts empty env: and CRLF line endings', () => {
    const file = manifest('applications:\r\n- name: a\r\n  env:\r\n  processes:\r\n  - type: web\r\n    command: x\r\n');
    const run = readManifestRun(file, opts(), {});
    expect([run.environment, run.programs[0].source.line]).toEqual([{}, 5]);
  });
});

describe('readManifestRun errors name file:line', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['YAML syntax (an unclosed [)', 'applications:\n- name: a\n  processes: [\n  - type: web\n', 4, /^invalid YAML: /],
    ['duplicate key', 'applications:\n- name: a\n  name: b\n', 3, /^invalid YAML: Map keys must be unique/],
    ['no applications', 'version: 1\n', 1, /^no applications: list$/],
    ['applications not a list', 'applications:\n  name: a\n', 2, /must be a list/],
    ['empty applications', 'applications: []\n', 1, /applications: is empty/],
    ['no processes and no command', 'applications:\n- name: a\n  memory: 1G\n', 2, /application 'a' has no processes: list \(and no command:\)/],
    ['process without command', 'applications:\n- name: a\n  processes:\n  - type: web\n    command: x\n  - type: worker\n    instances: 2\n', 6, /process 'worker' has no command:/],
    ['process without type', 'applications:\n- name: a\n  processes:\n  - command: x\n', 4, /process without type:/],
    ['duplicate type', 'applications:\n- name: a\n  processes:\n  - type: web\n    command: x\n  - type: web\n    command: y\n', 6, /'web' is listed twice \(first at line 4\)/],
    ['bad type name', 'applications:\n- name: a\n  processes:\n  - type: web.1\n    command: x\n', 4, /process type 'web.1' may hold only/],
    ['instances not a number', 'applications:\n- name: a\n  processes:\n  - type: web\n    command: x\n    instances: two\n', 6, /instances: must be a whole number >= 0, not two/],
    ['negative instances', 'applications:\n- name: a\n  processes:\n  - type: web\n    command: x\n    instances: -1\n', 6, /not -1/],
    ['empty command', 'applications:\n- name: a\n  processes:\n  - type: web\n    command: ""\n', 5, /command of 'web' is empty/],
    ['command not a string', 'applications:\n- name: a\n  processes:\n  - type: web\n    command: [a, b]\n', 5, /command of 'web' must be a string/],
    ['env not a map', 'applications:\n- name: a\n  env: [A]\n  command: x\n', 3, /env: must be a mapping/],
    ['nested env value', 'applications:\n- name: a\n  env:\n    A:\n      B: 1\n  command: x\n', 5, /env A: must be a string/],
    ['processes not a list', 'applications:\n- name: a\n  processes:\n    type: web\n', 4, /processes: must be a list/],
  ];
  it.each(cases)('%s', (_what, text, line, detail) => {
    const file = manifest(text);
    const err = configError(() => readManifestRun(file, opts(), {}));
    expect(err.file).toBe(file);
    expect(err.line).toBe(line);
    expect(err.detail).toMatch(detail);
    expect(err.message).not.toContain('\n');
  });
});
