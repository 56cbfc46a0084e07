/**
 * `procinit.toml` beside the config (Procfile, supervisord.conf, fly.toml, manifest.yml): health checks,
 * readiness notification, start order, resource limits and autoscaling per program, keyed by process type
 * or program name, so that the config itself stays loadable by its own tool (supervisord, foreman, fly, cf).
 *
 *   [web]
 *   liveness = "http-get path=/geo/ port=8000 delay=120s timeout=10s period=20s #success=1 #failure=3"
 *   readiness = { type = "http", path = "/ready", period = 2 }
 *   memory = "64M"
 *   cpu = 0.5
 *   depends_on = { db = "ready", migrate = "completed_successfully" }
 *   autoscale = { min = 3, max = 8, cpu_percent = 75 }
 *   [db]
 *   notify = "sd_notify"      # or notification-fd = 3 (s6)
 *   watchdog = "10s"
 *
 * What it sets replaces what the config said for that field. Unknown programs and keys are errors.
 */
import { pathExists } from './fs-answers.js';
import { dirname, join } from 'node:path';
import { ConfigError, oneLine, someNames } from './errors.js';
import type { HealthSpec, ProgramSpec, SourceRef } from './model.js';
import { describeValue, parseCount, parseCpu, parseMemory, parsePositiveDuration } from './health-values.js';
import { buildProbe, parseProbeLine, PROBE_FIELDS, type ProbeFields, type ProbeRole } from './probe.js';
import { parseDependsOn } from './dependencies.js';
import { TomlLines } from './toml-lines.js';
import { parseTomlFile, isTable, type Table } from './toml.js';
import { readTextFile } from './text-file.js';

export const PROCINIT_TOML = 'procinit.toml';

const PROGRAM_KEYS = new Set([
  'liveness', 'readiness', 'startup', 'memory', 'cpu', 'depends_on', 'notify', 'notification-fd', 'notification_fd', 'watchdog', 'autoscale',
]);

/** procinit.toml's path beside the config file, or null when there is none. */
export function findProcinitToml(configFile: string): string | null {
  const file = join(dirname(configFile), PROCINIT_TOML);
  return pathExists(file) ? file : null;
}

/** Apply procinit.toml (when beside the config) to the programs. */
export function applyProcinitToml(configFile: string, programs: ProgramSpec[]): void {
  const file = findProcinitToml(configFile);
  if (file !== null) readProcinitToml(file, programs);
}

export function readProcinitToml(file: string, programs: ProgramSpec[]): void {
  const text = readTextFile(file);
  const doc = parseTomlFile(file, text);
  const lines = new TomlLines(text);
  const byName = new Map(programs.map((p) => [p.name, p]));
  for (const [name, section] of Object.entries(doc)) {
    const line = lines.lineOf(null, name);
    const program = byName.get(name);
    if (!program) {
      throw new ConfigError(file, line, `[${oneLine(name)}]: no such program or process type (known: ${someNames(byName.keys())})`);
    }
    if (!isTable(section)) throw new ConfigError(file, line, `${oneLine(name)} must be a table ([${oneLine(name)}] with its settings)`);
    applySection(program.health, name, section, { file, line }, (key) => ({ file, line: lines.lineOf(name, key) }), lines);
  }
}

function applySection(
  health: HealthSpec,
  name: string,
  section: Table,
  source: SourceRef,
  at: (key: string) => SourceRef,
  lines: TomlLines,
): void {
  for (const key of Object.keys(section)) {
    if (!PROGRAM_KEYS.has(key)) {
      throw new ConfigError(at(key).file, at(key).line, `${name}: unknown key '${oneLine(key)}' (known: ${[...PROGRAM_KEYS].join(', ')})`);
    }
  }
  for (const role of ['liveness', 'readiness', 'startup'] as const) {
    if (Object.hasOwn(section, role)) health.checks[role] = readProbe(role, name, section[role], at(role), lines);
  }
  if (Object.hasOwn(section, 'memory') || Object.hasOwn(section, 'cpu')) {
    const where = at(Object.hasOwn(section, 'memory') ? 'memory' : 'cpu');
    health.limits = { ...health.limits, source: where };
    if (Object.hasOwn(section, 'memory')) health.limits.memoryBytes = parseMemory(section.memory, `${name} memory`, at('memory'));
    if (Object.hasOwn(section, 'cpu')) health.limits.cpu = parseCpu(section.cpu, `${name} cpu`, at('cpu'));
  }
  if (Object.hasOwn(section, 'depends_on')) health.dependsOn = parseDependsOn(section.depends_on, name, at('depends_on'));
  readNotify(health, name, section, at);
  if (Object.hasOwn(section, 'autoscale')) {
    const where = at('autoscale');
    const a = section.autoscale;
    if (!isTable(a)) throw new ConfigError(where.file, where.line, `${name} autoscale must be { min = N, max = N, cpu_percent = N }`);
    for (const k of Object.keys(a)) {
      if (!['min', 'max', 'cpu_percent'].includes(k)) throw new ConfigError(where.file, where.line, `${name} autoscale: unknown key '${oneLine(k)}' (min, max, cpu_percent)`);
    }
    if (a.max === undefined || a.cpu_percent === undefined) throw new ConfigError(where.file, where.line, `${name} autoscale needs max and cpu_percent`);
    const min = a.min === undefined ? 1 : parseCount(a.min, `${name} autoscale min`, where, 1);
    const max = parseCount(a.max, `${name} autoscale max`, where, 1);
    if (max < min) throw new ConfigError(where.file, where.line, `${name} autoscale: max ${max} is below min ${min}`);
    health.autoscale = { min, max, cpuPercent: parseCount(a.cpu_percent, `${name} autoscale cpu_percent`, where, 1, 1000), source: where };
  }
}

function readNotify(health: HealthSpec, name: string, section: Table, at: (key: string) => SourceRef): void {
  const fdKey = Object.hasOwn(section, 'notification-fd') ? 'notification-fd' : Object.hasOwn(section, 'notification_fd') ? 'notification_fd' : null;
  if (Object.hasOwn(section, 'notify')) {
    const where = at('notify');
    const v = section.notify;
    if (v !== 'sd_notify' && v !== 'systemd') {
      throw new ConfigError(where.file, where.line, `${name} notify: ${describeValue(v)} is not "sd_notify" (for s6's notification-fd write notification-fd = 3)`);
    }
    if (fdKey) throw new ConfigError(where.file, where.line, `${name}: notify and ${fdKey} both set; choose one`);
    health.notify = { kind: 'sd_notify', watchdogMs: null, source: where };
  } else if (fdKey) {
    const where = at(fdKey);
    health.notify = { kind: 'fd', fd: parseCount(section[fdKey], `${name} ${fdKey}`, where, 3, 1023), source: where };
  }
  if (Object.hasOwn(section, 'watchdog')) {
    const where = at('watchdog');
    if (health.notify?.kind !== 'sd_notify') {
      throw new ConfigError(where.file, where.line, `${name} watchdog needs notify = "sd_notify" (the program pings with WATCHDOG=1)`);
    }
    health.notify.watchdogMs = parsePositiveDuration(section.watchdog, `${name} watchdog`, where);
  }
}

function readProbe(role: ProbeRole, name: string, value: unknown, where: SourceRef, lines: TomlLines) {
  const what = `${name} ${role}`;
  if (typeof value === 'string') return buildProbe(role, what, parseProbeLine(value, what, where), where);
  if (!isTable(value)) throw new ConfigError(where.file, where.line, `${what} must be a probe line ("http-get path=/ port=8000 ...") or a table`);
  const fields: ProbeFields = {};
  const keyAt = (key: string): SourceRef => ({ file: where.file, line: lines.keyLine(`${name}.${role}`, key) ?? where.line });
  for (const [key, v] of Object.entries(value)) {
    const field = key === 'type' ? 'kind' : key;
    if (!(PROBE_FIELDS as readonly string[]).includes(field)) {
      const w = keyAt(key);
      throw new ConfigError(w.file, w.line, `${what}: unknown key '${oneLine(key)}' (known: type, ${PROBE_FIELDS.filter((f) => f !== 'kind').join(', ')})`);
    }
    fields[field as keyof ProbeFields] = { value: v, where: keyAt(key) };
  }
  const header = lines.tableLine(`${name}.${role}`);
  return buildProbe(role, what, fields, header === null ? where : { file: where.file, line: header });
}
