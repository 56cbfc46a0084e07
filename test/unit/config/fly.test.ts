import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../../src/config/errors.js';
import { readFlyAppName, readFlyRun } from '../../../src/config/fly.js';
import { allProcesses } from '../../../src/config/model.js';
import { defaultLoadOptions, type LoadOptions } from '../../../src/config/options.js';
import { configError } from '../../helpers/config-error.js';

const dir = mkdtempSync(join(tmpdir(), 'procinit-fly-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function flyToml(text: string): string {
  const file = join(dir, `fly-${++n}.toml`);
  writeFileSync(file, text);
  return file;
}
const opts = (o: Partial<LoadOptions> = {}): LoadOptions => defaultLoadOptions({ env: {}, cwd: dir, root: dir, ...o });


/** A fly.toml shaped like the ones `fly launch` writes, with the process groups of fly's docs. */
const FLY_TOML = `# fly.toml app configuration file generated for my-app
app = "my-app"
primary_region = "ams"

[build]
  image = "flyio/hellofly:latest"

[env]
  LOG_LEVEL = "info"
  WORKERS = 4
  DEBUG = false

[processes]
  web = "/app/server"
  bar_web = "/app/server -bar"

[http_service]
  internal_port = 8080
  force_https = true
  processes = ["web"]

[[vm]]
  memory = "1gb"
`;

describe('readFlyRun', () => {
  it('reads [processes] as process types in file order, one instance each, Procfile conventions', () => {
    const file = flyToml(FLY_TOML);
    const run = readFlyRun(file, opts(), {});
    expect(run.format).toBe('fly');
    expect(run.file).toBe(file);
    expect(run.root).toBe(dir);
    expect(run.warnings).toEqual([]);
    expect(run.programs.map((p) => [p.name, p.source.line])).toEqual([
      ['web', 14],
      ['bar_web', 15],
    ]);
    expect(allProcesses(run).map((p) => [p.name, p.command, p.argv, p.environment])).toEqual([
      ['web.1', '/app/server', null, { PORT: '5000', PS: 'web.1' }],
      ['bar_web.1', '/app/server -bar', null, { PORT: '5100', PS: 'bar_web.1' }],
    ]);
    expect(allProcesses(run)[1]).toMatchObject({
      group: 'bar_web',
      program: 'bar_web',
      directory: dir,
      autorestart: 'false',
      exitEndsRun: true,
      stopsignal: 'TERM',
      stopwaitsecs: 5,
    });
  });

  it("puts fly's [env] in the run's environment (scalars as strings), under the env files", () => {
    const run = readFlyRun(flyToml(FLY_TOML), opts(), { LOG_LEVEL: 'debug', SECRET: 'x' });
    expect(run.environment).toEqual({ LOG_LEVEL: 'debug', WORKERS: '4', DEBUG: 'false', SECRET: 'x' });
  });

  it('[env] PORT is the base port unless -p or the env files say otherwise', () => {
    const file = flyToml('[env]\nPORT = "8080"\n[processes]\nweb = "a"\nworker = "b"\n');
    const ports = (o: Partial<LoadOptions>, fileEnv: Record<string, string> = {}) =>
      allProcesses(readFlyRun(file, opts(o), fileEnv)).map((p) => p.environment.PORT);
    expect(ports({})).toEqual(['8080', '8180']);
    expect(ports({}, { PORT: '3000' })).toEqual(['3000', '3100']);
    expect(ports({ port: 4000 })).toEqual(['4000', '4100']);
  });

  it('applies the command-line policy: -r, --can-die, --stop-signal, -t, --tty', () => {
    const file = flyToml(FLY_TOML);
    const run = readFlyRun(file, opts({ autoRestart: ['web'], canDie: ['bar_web'], stopSignals: 'web=INT', timeout: 9, tty: ['web'] }), {});
    const [web, bar] = allProcesses(run);
    expect([web.autorestart, web.exitEndsRun, web.stopsignal, web.stopwaitsecs, web.tty]).toEqual(['true', false, 'INT', 9, true]);
    expect([bar.autorestart, bar.exitEndsRun, bar.stopsignal, bar.tty]).toEqual(['false', false, 'TERM', false]);
    expect(() => readFlyRun(file, opts({ stopSignals: 'wbe=INT' }), {})).toThrow(UsageError);
  });

  it('instantiate gives more instances for -m / scale', () => {
    const run = readFlyRun(flyToml(FLY_TOML), opts(), {});
    expect(run.programs[1].instantiate(3).environment).toEqual({ PORT: '5102', PS: 'bar_web.3' });
  });

  it('accepts quoted keys, literal strings and a dotted processes.name at top level', () => {
    const file = flyToml(`processes.web = 'bin/web "quoted"'\nprocesses."bar-web" = "x"\n`);
    const run = readFlyRun(file, opts(), {});
    expect(run.programs.map((p) => [p.name, p.instances[0].command, p.source.line])).toEqual([
      ['web', 'bin/web "quoted"', 1],
      ['bar-web', 'x', 2],
    ]);
  });

  it('readFlyAppName reads app = "..."', () => {
    expect(readFlyAppName(flyToml(FLY_TOML))).toBe('my-app');
    expect(readFlyAppName(flyToml('[processes]\nweb = "a"\n'))).toBeNull();
  });
});

describe('readFlyRun errors name file:line', () => {
  it('a fly.toml without [processes] says so', () => {
    const file = flyToml('app = "x"\n[http_service]\ninternal_port = 8080\n');
    const err = configError(() => readFlyRun(file, opts(), {}));
    expect(err.message).toMatch(/no \[processes\] table/);
    expect(err.file).toBe(file);
  });

  it('TOML syntax errors carry the line', () => {
    const file = flyToml('app = "x"\n\n[processes]\nweb = "/app/server\n');
    const err = configError(() => readFlyRun(file, opts(), {}));
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:4: invalid TOML: `));
    expect(err.message).not.toContain('\n');
  });

  it('duplicate keys are a TOML error with the line', () => {
    const file = flyToml('[processes]\nweb = "a"\nweb = "b"\n');
    expect(configError(() => readFlyRun(file, opts(), {})).line).toBe(3);
  });

  it('a command that is not a string names the key line', () => {
    const file = flyToml('app = "x"\n[processes]\nweb = "a"\nworker = ["bin/worker", "-v"]\n');
    const err = configError(() => readFlyRun(file, opts(), {}));
    expect([err.line, err.detail]).toEqual([4, 'processes.worker must be a command string, not an array']);
  });

  it('an empty command, an empty table, a bad name, processes not a table', () => {
    expect(configError(() => readFlyRun(flyToml('[processes]\nweb = "  "\n'), opts(), {})).line).toBe(2);
    const empty = configError(() => readFlyRun(flyToml('app = "x"\n\n[processes]\n'), opts(), {}));
    expect([empty.line, empty.detail]).toEqual([3, '[processes] is empty: add name = "command" lines']);
    const bad = configError(() => readFlyRun(flyToml('[processes]\n"web.1" = "a"\n'), opts(), {}));
    expect([bad.line, bad.detail]).toEqual([2, "process name 'web.1' may hold only letters, digits, '_' and '-'"]);
    expect(configError(() => readFlyRun(flyToml('processes = "web"\n'), opts(), {})).line).toBe(1);
  });

  it('[env] values must be scalars', () => {
    const err = configError(() => readFlyRun(flyToml('[env]\nA = "1"\nB = [1]\n[processes]\nweb = "a"\n'), opts(), {}));
    expect([err.line, err.detail]).toEqual([3, 'env.B must be a string, number or boolean, not an array']);
  });

  it('a missing file is a ConfigError, not a stack trace', () => {
    expect(configError(() => readFlyRun(join(dir, 'nope.toml'), opts(), {})).detail).toBe('no such file');
  });
});
