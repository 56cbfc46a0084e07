/**
 * A Cloud Foundry process's health and memory, in the one model, as Diego runs them:
 * - `health-check-type`: `port` (TCP connect to $PORT), `http` (GET `health-check-http-endpoint`, default /),
 *   `process` or `none` (no probe). With `port`/`http`, the check is a startup probe that must pass within
 *   `timeout` seconds (default 60) and then a liveness probe every `health-check-interval` seconds (default 30)
 *   whose first failure restarts the instance; each probe may take `health-check-invocation-timeout` (default 1).
 * - `readiness-health-check-type` (+ `-http-endpoint`, `-invocation-timeout`, `-interval`): a readiness probe.
 * - `memory`: the instance's memory limit (`64M`, `1G`; `disk_quota` and `log-rate-limit-per-second` are ignored).
 * Unlike Cloud Foundry, procinit adds no port check to `web` when the manifest names no health-check-type.
 */
import { ConfigError } from './errors.js';
import type { ProbeSpec, ProgramSpec } from './model.js';
import { describeValue, parseMemory, parsePositiveDuration } from './health-values.js';
import { buildProbe, type Located, type ProbeFields, type ProbeRole } from './probe.js';

/** The keys of a process (or the application, for `web`) that this file reads. */
export const CF_HEALTH_KEYS = [
  'memory',
  'timeout',
  'health-check-type',
  'health-check-http-endpoint',
  'health-check-invocation-timeout',
  'health-check-interval',
  'readiness-health-check-type',
  'readiness-health-check-http-endpoint',
  'readiness-health-check-invocation-timeout',
  'readiness-health-check-interval',
] as const;

export type CfHealthKey = (typeof CF_HEALTH_KEYS)[number];
export type CfHealthValues = Partial<Record<CfHealthKey, Located>>;

const CF_STARTUP_PERIOD_MS = 1_000;

export function applyCfHealth(program: ProgramSpec, keys: CfHealthValues): void {
  const name = program.name;
  if (keys.memory) {
    program.health.limits = { ...program.health.limits, memoryBytes: parseMemory(keys.memory.value, `${name} memory`, keys.memory.where), source: keys.memory.where };
  }
  const liveness = checkOf(name, 'liveness', keys['health-check-type'], keys['health-check-http-endpoint'], keys['health-check-invocation-timeout'], keys['health-check-interval'], 30_000);
  if (liveness) {
    const startMs = keys.timeout ? parsePositiveDuration(keys.timeout.value, `${name} timeout`, keys.timeout.where) : 60_000;
    program.health.checks.liveness = { ...liveness, failureThreshold: 1 };
    program.health.checks.startup = {
      ...liveness,
      periodMs: CF_STARTUP_PERIOD_MS,
      failureThreshold: Math.max(1, Math.ceil(startMs / CF_STARTUP_PERIOD_MS)),
      source: keys.timeout?.where ?? liveness.source,
    };
  } else if (keys['health-check-http-endpoint'] && keys['health-check-type']?.value !== 'http') {
    const w = keys['health-check-http-endpoint'].where;
    throw new ConfigError(w.file, w.line, `${name}: health-check-http-endpoint needs health-check-type: http`);
  }
  const readiness = checkOf(
    name, 'readiness', keys['readiness-health-check-type'], keys['readiness-health-check-http-endpoint'],
    keys['readiness-health-check-invocation-timeout'], keys['readiness-health-check-interval'], 30_000,
  );
  if (readiness) program.health.checks.readiness = { ...readiness, failureThreshold: 1 };
}

/** One CF check as a probe, or null for `process`/`none`/absent. */
function checkOf(
  name: string,
  role: ProbeRole,
  type: Located | undefined,
  endpoint: Located | undefined,
  invocationTimeout: Located | undefined,
  interval: Located | undefined,
  defaultIntervalMs: number,
): ProbeSpec | null {
  if (!type) return null;
  const label = role === 'readiness' ? 'readiness-health-check-type' : 'health-check-type';
  const t = type.value;
  if (t === 'process' || t === 'none') return null;
  if (t !== 'port' && t !== 'http') {
    throw new ConfigError(type.where.file, type.where.line, `${name}: ${label} ${describeValue(t)} is not port, process or http`);
  }
  const fields: ProbeFields = { kind: { value: t === 'port' ? 'tcp' : 'http', where: type.where } };
  if (t === 'http' && endpoint) fields.path = endpoint;
  if (invocationTimeout) fields.timeout = invocationTimeout;
  const probe = buildProbe(role, `${name} ${label}`, fields, type.where);
  probe.periodMs = interval ? parsePositiveDuration(interval.value, `${name} interval`, interval.where) : defaultIntervalMs;
  return probe;
}
