/**
 * Does the slowest stop fit in the container's stop timeout? `docker stop` (and Kubernetes'
 * terminationGracePeriodSeconds, compose's stop_grace_period) waits 10 s by default, then SIGKILLs PID 1
 * and with it every program: no final log line, exit 137. procinit stops priority levels one after the
 * other, each waiting up to its longest stopwaitsecs, and then needs a moment for itself.
 */
import type { ProcessSpec } from '../config/model.js';

/** What procinit itself needs after the programs: kill leftovers, drain pipes, flush, exit. */
export const OWN_SHUTDOWN_SECONDS = 1;

export interface StopBudget {
  /** Worst case from SIGTERM to procinit's exit, seconds. */
  worst: number;
  /** The programs whose grace makes it up (the longest of each priority level). */
  slowest: Array<{ name: string; stopwaitsecs: number }>;
}

export function stopBudget(specs: ProcessSpec[]): StopBudget {
  const levels = new Map<number, ProcessSpec>();
  for (const s of specs) {
    const cur = levels.get(s.priority);
    if (!cur || s.stopwaitsecs > cur.stopwaitsecs) levels.set(s.priority, s);
  }
  const slowest = [...levels.values()].map((s) => ({ name: s.program, stopwaitsecs: s.stopwaitsecs }));
  return { worst: slowest.reduce((n, s) => n + s.stopwaitsecs, 0) + OWN_SHUTDOWN_SECONDS, slowest };
}

/** The warning to print at start, or null when the stop fits. */
export function stopTimeoutWarning(specs: ProcessSpec[], stopTimeout: number): string | null {
  if (specs.length === 0) return null;
  const b = stopBudget(specs);
  if (b.worst <= stopTimeout) return null;
  const parts = b.slowest.filter((s) => s.stopwaitsecs > 0).map((s) => `${s.name} ${s.stopwaitsecs}s`);
  const what = parts.length > 1 ? `grace ${parts.join(' + ')} (priority levels stop one after another)` : `grace ${parts[0] ?? '0s'}`;
  return (
    `stopping can take ${b.worst}s (${what} + ${OWN_SHUTDOWN_SECONDS}s for procinit), more than the container's stop timeout of ${stopTimeout}s: ` +
    `a program that ignores its stop signal is SIGKILLed by the runtime with everything else (exit 137). ` +
    `Give the container more time (docker stop -t ${b.worst}, compose stop_grace_period: ${b.worst}s, Kubernetes terminationGracePeriodSeconds: ${b.worst}) ` +
    `and tell procinit (--stop-timeout ${b.worst} or PROCINIT_STOP_TIMEOUT=${b.worst}), or lower the grace (stopwaitsecs, -t)`
  );
}
