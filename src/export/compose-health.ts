/**
 * The health model (issue 15) in compose's words. procinit in each container runs the type's probes
 * itself (the same config and procinit.toml are in the image), so the healthcheck asks it: `procinit
 * status` exits 0 when the type's processes are running (and ready, where readiness is configured). That
 * needs no curl or wget in the image and covers sd_notify/notification-fd readiness too. Limits are
 * `mem_limit`/`cpus` (honoured by docker-compose v1 and v2 alike); depends_on keeps compose's conditions.
 * Pure.
 */
import type { DependencyCondition, HealthSpec, ProbeSpec } from '../config/model.js';

export interface ComposeHealthcheck {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  start_period: string;
}

export type ComposeCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export const CONDITIONS: Record<DependencyCondition, ComposeCondition> = {
  started: 'service_started',
  ready: 'service_healthy',
  completed_successfully: 'service_completed_successfully',
};

/** How long `procinit status` may take to answer. */
const STATUS_TIMEOUT_MS = 5_000;

/** A duration as compose writes them: whole seconds as "10s", else milliseconds. */
export function composeDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.ceil(ms)}ms`;
}

/**
 * The healthcheck for a type with probes, or one that others wait for as `ready` (compose needs a
 * healthcheck for service_healthy; without probes `procinit status` means running). Null otherwise.
 */
export function healthcheck(health: HealthSpec, awaited: boolean): ComposeHealthcheck | null {
  const { liveness, readiness, startup } = health.checks;
  const main: ProbeSpec | null = readiness ?? liveness;
  if (!main && !startup && !awaited && health.notify === null) return null;
  const periodMs = main?.periodMs ?? startup?.periodMs ?? 10_000;
  // The probe's own thresholds already act inside procinit: one failed answer is a real failure. But
  // `procinit status` says ready only once the readiness probe passed: its first chance comes after the
  // startup budget, the initial delay and successThreshold periods; one more period covers a program that
  // was not listening yet at the first probe (else a 1 s healthcheck raced a 1 s probe, and lost under load).
  const startupMs = startup ? startup.initialDelayMs + startup.periodMs * startup.failureThreshold : 0;
  const readyMs = main ? main.initialDelayMs + main.periodMs * (main.successThreshold + 1) : 0;
  const startMs = startupMs + readyMs;
  return {
    test: ['CMD', 'procinit', 'status'],
    interval: composeDuration(periodMs),
    timeout: composeDuration(STATUS_TIMEOUT_MS),
    retries: 1,
    start_period: composeDuration(startMs),
  };
}

/** mem_limit and cpus for a type with limits. */
export function composeLimits(health: HealthSpec): { mem_limit?: string; cpus?: number } {
  const { memoryBytes, cpu } = health.limits;
  return {
    ...(memoryBytes !== null ? { mem_limit: composeMemory(memoryBytes) } : {}),
    ...(cpu !== null ? { cpus: cpu } : {}),
  };
}

/** Bytes with compose's binary units (g, m, k are powers of 1024), exact. */
export function composeMemory(bytes: number): string {
  for (const [unit, size] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}b`;
}
