/**
 * The health model (checks, notify, depends_on, limits, autoscale) as each format writes it:
 * procinit.toml beside a Procfile or supervisord.conf, the CF manifest's keys, fly.toml's checks and [[vm]].
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRun } from '../../../src/config/load.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import { toCheckJson } from '../../../src/config/check-json.js';
import type { ProgramSpec, RunSpec } from '../../../src/config/model.js';
import { configError } from '../../helpers/config-error.js';

const root = mkdtempSync(join(tmpdir(), 'procinit-health-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A folder holding the given files; returns the run loaded from `config`. */
function load(files: Record<string, string>, config: string): RunSpec {
  const dir = join(root, String(++n));
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return loadRun(defaultLoadOptions({ env: {}, cwd: dir, config: join(dir, config) }));
}
const program = (run: RunSpec, name: string): ProgramSpec => run.programs.find((p) => p.name === name)!;
const PROCFILE = 'web: bin/web\nworker: bin/worker\ndb: bin/db\nmigrate: bin/migrate\n';
const withToml = (toml: string) => load({ Procfile: PROCFILE, 'procinit.toml': toml }, 'Procfile');

describe('procinit.toml beside a Procfile', () => {
  it('reads a Drycc/kubectl probe line as Kubernetes would', () => {
    const run = withToml('[web]\nliveness = "http-get path=/geo/ port=8000 delay=120s timeout=10s period=20s #success=1 #failure=3"\n');
    expect(program(run, 'web').health.checks.liveness).toMatchObject({
      kind: 'http', path: '/geo/', port: 8000, host: '127.0.0.1', initialDelayMs: 120_000, timeoutMs: 10_000, periodMs: 20_000,
      successThreshold: 1, failureThreshold: 3, source: { line: 2 },
    });
    const url = withToml('[web]\nreadiness = "http-get http://:8080/ready delay=0s timeout=1s period=2s #success=2 #failure=3"\n');
    expect(program(url, 'web').health.checks.readiness).toMatchObject({ kind: 'http', port: 8080, path: '/ready', periodMs: 2000, successThreshold: 2 });
    const tcp = withToml('[db]\nreadiness = "tcp-socket :5432 period=1s"\nliveness = "exec [pg_isready -q] timeout=2s"\n');
    expect(program(tcp, 'db').health.checks.readiness).toMatchObject({ kind: 'tcp', port: 5432, periodMs: 1000 });
    expect(program(tcp, 'db').health.checks.liveness).toMatchObject({ kind: 'exec', command: ['pg_isready', '-q'], timeoutMs: 2000 });
  });

  it('reads probe tables with Kubernetes defaults, port defaulting to $PORT', () => {
    const run = withToml('[web.readiness]\ntype = "http"\npath = "/ready"\nheaders = { X-Probe = "1" }\n\n[worker]\nstartup = { type = "exec", command = "test -f /tmp/up", failure_threshold = 30 }\n');
    expect(program(run, 'web').health.checks.readiness).toMatchObject({
      kind: 'http', path: '/ready', port: null, headers: { 'X-Probe': '1' }, initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000,
      successThreshold: 1, failureThreshold: 3, source: { line: 1 },
    });
    expect(program(run, 'worker').health.checks.startup).toMatchObject({ kind: 'exec', command: ['/bin/sh', '-c', 'test -f /tmp/up'], failureThreshold: 30 });
  });

  it('reads limits, depends_on with compose conditions, notify and autoscale', () => {
    const run = withToml(`[web]
memory = "64M"
cpu = "500m"
depends_on = { db = "ready", migrate = { condition = "service_completed_successfully" } }
autoscale = { min = 3, max = 8, cpu_percent = 75 }
[worker]
depends_on = ["db"]
notification-fd = 3
[db]
notify = "sd_notify"
watchdog = "10s"
`);
    const web = program(run, 'web').health;
    expect(web.limits).toMatchObject({ memoryBytes: 64 * 2 ** 20, cpu: 0.5, source: { line: 2 } });
    expect(web.dependsOn.map((d) => [d.program, d.condition])).toEqual([['db', 'ready'], ['migrate', 'completed_successfully']]);
    expect(web.autoscale).toMatchObject({ min: 3, max: 8, cpuPercent: 75 });
    expect(program(run, 'worker').health.dependsOn).toMatchObject([{ program: 'db', condition: 'started' }]);
    expect(program(run, 'worker').health.notify).toMatchObject({ kind: 'fd', fd: 3 });
    expect(program(run, 'db').health.notify).toMatchObject({ kind: 'sd_notify', watchdogMs: 10_000 });
    // check --json shows it.
    expect(toCheckJson(run).programs.find((p) => p.name === 'web')?.health.limits.memoryBytes).toBe(64 * 2 ** 20);
  });

  it('applies beside a supervisord.conf, keyed by program name', () => {
    const run = load({ 'supervisord.conf': '[supervisord]\n[program:api]\ncommand=/bin/true\n', 'procinit.toml': '[api]\nmemory = "1Gi"\n' }, 'supervisord.conf');
    expect(program(run, 'api').health.limits.memoryBytes).toBe(2 ** 30);
  });

  it.each([
    ['[web]\nliveness = { type = "http", port = "abc" }\n', 2, /web liveness port: 'abc' is not a port number/],
    ['[web]\n\nliveness = "tcp-socket :80x"\n', 3, /is not a port number/],
    ['[web.readiness]\ntype = "tcp"\nperiod = -5\n', 3, /web readiness period: -5 is negative/],
    ['[web]\nreadiness = "http-get path=/ period=0s"\n', 2, /must be more than 0/],
    ['[web]\ndepends_on = ["nope"]\n', 2, /web depends on 'nope', which is not a program here/],
    ['[web]\ndepends_on = ["db"]\n[db]\ndepends_on = { web = "ready" }\n', 4, /cycle: web -> db -> web/],
    ['[web]\ndepends_on = ["web"]\n', 2, /cycle: web -> web/],
    ['[web]\ndepends_on = { db = "up" }\n', 2, /condition 'up' is not started, ready/],
    ['[web]\nmemory = "64Q"\n', 2, /web memory: '64Q' is not a memory size/],
    ['[web]\ncpu = "lots"\n', 2, /not a CPU amount/],
    ['[wbe]\nmemory = "64M"\n', 1, /\[wbe\]: no such program/],
    ['[web]\nmemroy = "64M"\n', 2, /unknown key 'memroy'/],
    ['[web.liveness]\ntype = "http"\npaht = "/"\n', 3, /unknown key 'paht'/],
    ['[web]\nliveness = "http-get path=/ #success=2"\n', 2, /success_threshold must be 1 for a liveness probe/],
    ['[web]\nliveness = "grpc :50051"\n', 2, /not http-get, tcp-socket or exec/],
    ['[web]\nliveness = { type = "tcp", path = "/" }\n', 2, /path does not apply to a tcp probe/],
    ['[web]\nliveness = { type = "exec" }\n', 2, /an exec probe needs a command/],
    ['[web]\nwatchdog = "1s"\n', 2, /watchdog needs notify = "sd_notify"/],
    ['[web]\nnotify = "sd_notify"\nnotification-fd = 3\n', 2, /both set/],
    ['[web]\nautoscale = { min = 5, max = 2, cpu_percent = 50 }\n', 2, /max 2 is below min 5/],
    ['[web\n', 1, /invalid TOML/],
  ])('refuses %j with file:line', (toml, line, message) => {
    const err = configError(() => withToml(toml));
    expect(err.file).toMatch(/procinit\.toml$/);
    expect(err.line).toBe(line);
    expect(err.detail).toMatch(message);
    expect(err.message).not.toMatch(/\n/);
  });
});

describe('Cloud Foundry manifest', () => {
  const MANIFEST = `applications:
- name: app
  processes:
  - type: web
    command: bin/web
    memory: 64M
    health-check-type: http
    health-check-http-endpoint: /healthz
    health-check-invocation-timeout: 2
    timeout: 30
    readiness-health-check-type: port
  - type: worker
    command: bin/worker
    memory: 32M
    health-check-type: process
`;
  it('memory, health-check-* and readiness-health-check-* as Diego runs them', () => {
    const run = load({ 'manifest.yml': MANIFEST }, 'manifest.yml');
    const web = program(run, 'web').health;
    expect(web.limits.memoryBytes).toBe(64 * 2 ** 20);
    expect(web.checks.liveness).toMatchObject({ kind: 'http', path: '/healthz', port: null, timeoutMs: 2000, periodMs: 30_000, failureThreshold: 1, source: { line: 7 } });
    expect(web.checks.startup).toMatchObject({ kind: 'http', path: '/healthz', periodMs: 1000, failureThreshold: 30 });
    expect(web.checks.readiness).toMatchObject({ kind: 'tcp', port: null });
    const worker = program(run, 'worker').health;
    expect(worker.limits.memoryBytes).toBe(32 * 2 ** 20);
    expect(worker.checks).toEqual({ liveness: null, readiness: null, startup: null });
    expect(run.warnings).toEqual([]);
  });

  it('app-level keys apply to the web process', () => {
    const run = load({ 'manifest.yml': 'applications:\n- name: a\n  command: bin/web\n  memory: 1G\n  health-check-type: port\n' }, 'manifest.yml');
    expect(program(run, 'web').health.limits.memoryBytes).toBe(2 ** 30);
    expect(program(run, 'web').health.checks.liveness).toMatchObject({ kind: 'tcp', port: null });
  });

  it.each([
    ['    memory: 64Q\n', 6, /web memory: '64Q' is not a memory size/],
    ['    health-check-type: tcp\n', 6, /health-check-type 'tcp' is not port, process or http/],
    ['    health-check-type: http\n    health-check-invocation-timeout: -1\n', 7, /negative/],
  ])('refuses %j with file:line', (extra, line, message) => {
    const err = configError(() => load({ 'manifest.yml': `applications:\n- name: a\n  processes:\n  - type: web\n    command: x\n${extra}` }, 'manifest.yml'));
    expect([err.line, err.detail]).toEqual([line, expect.stringMatching(message)]);
  });
});

describe('fly.toml', () => {
  const FLY = `app = "x"
[processes]
web = "bin/web"
worker = "bin/worker"

[[services]]
  internal_port = 8080
  processes = ["web"]
  [[services.http_checks]]
    interval = "15s"
    timeout = "2s"
    grace_period = "5s"
    path = "/health"

[checks.wk]
  type = "tcp"
  port = 9000
  processes = ["worker"]

[[vm]]
  memory = "512mb"
  cpus = 2
  processes = ["web"]

[[vm]]
  size = "shared-cpu-1x"
  processes = ["worker"]
`;
  it('checks become readiness probes of their groups; [[vm]] sizes become limits', () => {
    const run = load({ 'fly.toml': FLY }, 'fly.toml');
    expect(program(run, 'web').health.checks.readiness).toMatchObject({
      kind: 'http', port: 8080, path: '/health', periodMs: 15_000, timeoutMs: 2000, initialDelayMs: 5000, source: { line: 9 },
    });
    expect(program(run, 'worker').health.checks.readiness).toMatchObject({ kind: 'tcp', port: 9000, source: { line: 15 } });
    expect(program(run, 'web').health.limits).toMatchObject({ memoryBytes: 512 * 2 ** 20, cpu: 2, source: { line: 20 } });
    expect(program(run, 'worker').health.limits).toMatchObject({ memoryBytes: 256 * 2 ** 20, cpu: 1 });
  });

  it('[[http_service.checks]] on the internal port; memory as a number is MB', () => {
    const run = load({ 'fly.toml': '[processes]\napp = "x"\n[http_service]\ninternal_port = 3000\n[[http_service.checks]]\npath = "/up"\n[[vm]]\nmemory = 1024\n' }, 'fly.toml');
    expect(program(run, 'app').health.checks.readiness).toMatchObject({ kind: 'http', port: 3000, path: '/up' });
    expect(program(run, 'app').health.limits.memoryBytes).toBe(2 ** 30);
  });

  it.each([
    [FLY.replace('interval = "15s"', 'interval = "-1s"'), 10, /negative/],
    [FLY.replace('memory = "512mb"', 'memory = "5Q"'), 21, /vm memory: '5Q' is not a memory size/],
    [FLY.replace('port = 9000', 'port = "nine"'), 17, /is not a port number/],
    [FLY.replace('processes = ["worker"]\n\n[[vm]]', 'processes = ["wrk"]\n\n[[vm]]'), 18, /'wrk' is not a process group/],
  ])('refuses bad values with file:line (%#)', (text, line, message) => {
    const err = configError(() => load({ 'fly.toml': text }, 'fly.toml'));
    expect([err.line, err.detail]).toEqual([line, expect.stringMatching(message)]);
  });
});
