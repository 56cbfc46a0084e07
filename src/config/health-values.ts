/**
 * The values of health and resource settings, as every format writes them: durations, memory sizes,
 * CPU amounts, ports and counts. Each reader passes where the value was written; a bad value is a
 * ConfigError naming that file:line and what is wrong.
 */
import { ConfigError, oneLine } from './errors.js';
import type { SourceRef } from './model.js';

const show = (v: unknown): string => (typeof v === 'string' ? `'${oneLine(v)}'` : Array.isArray(v) ? 'a list' : typeof v === 'object' && v !== null ? 'a table' : String(v));

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** Longest duration accepted anywhere (a day): larger values are typos, and timers cap at 2^31 ms. */
const MAX_DURATION_MS = 86_400_000;

/**
 * A duration in ms: a number of seconds (CF, Kubernetes, procinit.toml), or Go's spelling as fly.toml
 * writes it ("10s", "1m30s", "500ms"). Negative or unreadable values are errors.
 */
export function parseDuration(value: unknown, what: string, where: SourceRef): number {
  let ms: number | null = null;
  if (typeof value === 'number' || typeof value === 'bigint') ms = Number(value) * 1000;
  else if (typeof value === 'string') {
    const v = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
    else if (/^-?(\d+(\.\d+)?(ms|s|m|h))+$/.test(v)) {
      ms = 0;
      for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]];
      if (v.startsWith('-')) ms = -ms;
    }
  }
  if (ms === null || !Number.isFinite(ms)) {
    throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is not a duration (seconds, or like "10s", "1m30s", "500ms")`);
  }
  if (ms < 0) throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is negative`);
  if (ms > MAX_DURATION_MS) throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is longer than a day`);
  return Math.round(ms);
}

/** A duration that must be above zero (a probe's period or timeout). */
export function parsePositiveDuration(value: unknown, what: string, where: SourceRef): number {
  const ms = parseDuration(value, what, where);
  if (ms <= 0) throw new ConfigError(where.file, where.line, `${what}: must be more than 0, not ${show(value)}`);
  return ms;
}

const MEMORY_UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * A memory size in bytes. Units are binary whichever way they are written, as Cloud Foundry ("64M",
 * "1G", "512MB"), fly ("1gb"), Docker ("64m") and Kubernetes' binary forms ("64Mi", "1Gi") mean them.
 * A bare number is bytes (numberUnit overrides: fly's `memory = 512` is megabytes).
 */
export function parseMemory(value: unknown, what: string, where: SourceRef, numberUnit = 1): number {
  let bytes: number | null = null;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') bytes = Number(value) * numberUnit;
  else if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b?)?|(b)?)$/i.exec(value.trim());
    if (m) bytes = Number(m[1]) * (m[2] ? MEMORY_UNITS[m[2].toLowerCase()] : numberUnit === 1 || m[3] ? 1 : numberUnit);
  }
  if (bytes === null) {
    throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is not a memory size (like 64M, 512MB, 1G, 1Gi)`);
  }
  bytes = Math.floor(bytes);
  if (bytes < 1 || !Number.isSafeInteger(bytes)) throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is out of range`);
  return bytes;
}

/** CPU in cores: a number (0.5, 2) or Kubernetes' millicores ("500m"). */
export function parseCpu(value: unknown, what: string, where: SourceRef): number {
  let cores: number | null = null;
  if (typeof value === 'number' || typeof value === 'bigint') cores = Number(value);
  else if (typeof value === 'string') {
    const v = value.trim();
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(v);
    if (m) cores = m[2] ? Number(m[1]) / 1000 : Number(m[1]);
  }
  if (cores === null || !Number.isFinite(cores)) {
    throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is not a CPU amount (cores like 0.5 or 2, or millicores like "500m")`);
  }
  if (cores <= 0 || cores > 1024) throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is out of range`);
  return cores;
}

/** A TCP port 1-65535 (a number, or a string of digits); "$PORT" means the instance's PORT (null). */
export function parsePort(value: unknown, what: string, where: SourceRef): number | null {
  if (typeof value === 'string' && /^\$\{?PORT\}?$/.test(value.trim())) return null;
  const n = typeof value === 'number' || typeof value === 'bigint' ? Number(value) : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is not a port number`);
  if (n < 1 || n > 65535) throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is not a port number (1-65535)`);
  return n;
}

/** A whole number >= min (thresholds, autoscale counts, fds). */
export function parseCount(value: unknown, what: string, where: SourceRef, min: number, max = 1_000_000): number {
  const n = typeof value === 'number' || typeof value === 'bigint' ? Number(value) : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new ConfigError(where.file, where.line, `${what}: ${show(value)} is not a whole number`);
  if (n < min || n > max) throw new ConfigError(where.file, where.line, `${what}: ${show(value)} must be between ${min} and ${max}`);
  return n;
}

export function describeValue(value: unknown): string {
  return show(value);
}
