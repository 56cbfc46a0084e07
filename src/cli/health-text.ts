/** The health model in words, as `describe` and `check` print it (probes as kubectl/Drycc print them). */
import type { HealthSpec, LimitsSpec, NotifySpec, ProbeSpec } from '../config/model.js';

const secs = (ms: number): string => `${ms / 1000}s`;

/** A probe as kubectl/Drycc print it (and procinit.toml reads it back). */
export function probeLine(p: ProbeSpec | null): string {
  if (!p) return '<none>';
  const target =
    p.kind === 'http' ? `http-get ${p.scheme === 'https' ? 'scheme=https ' : ''}path=${p.path} port=${p.port ?? '$PORT'}`
    : p.kind === 'tcp' ? `tcp-socket :${p.port ?? '$PORT'}`
    : `exec [${(p.command ?? []).join(' ')}]`;
  return `${target} delay=${secs(p.initialDelayMs)} timeout=${secs(p.timeoutMs)} period=${secs(p.periodMs)} #success=${p.successThreshold} #failure=${p.failureThreshold}`;
}

export function memoryText(bytes: number): string {
  for (const [unit, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}`;
}

export function limitsLine(l: LimitsSpec): string {
  const parts = [l.cpu !== null ? `cpu ${l.cpu}` : '', l.memoryBytes !== null ? `memory ${memoryText(l.memoryBytes)}` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : '<none>';
}

export function notifyLine(n: NotifySpec | null): string {
  if (!n) return '<none>';
  return n.kind === 'fd' ? `notification-fd ${n.fd}` : `sd_notify${n.watchdogMs !== null ? ` (watchdog ${secs(n.watchdogMs)})` : ''}`;
}

/** One line per configured part of a program's health, for `procinit check` (empty when it has none). */
export function healthLines(h: HealthSpec): string[] {
  const out: string[] = [];
  for (const role of ['liveness', 'readiness', 'startup'] as const) {
    const p = h.checks[role];
    if (p) out.push(`${role} ${probeLine(p)}`);
  }
  if (h.notify) out.push(`notify ${notifyLine(h.notify)}`);
  if (h.dependsOn.length) out.push(`depends_on ${h.dependsOn.map((d) => `${d.program} (${d.condition})`).join(', ')}`);
  if (h.limits.memoryBytes !== null || h.limits.cpu !== null) out.push(`limits ${limitsLine(h.limits)}`);
  if (h.autoscale) out.push(`autoscale min ${h.autoscale.min}, max ${h.autoscale.max}, cpu ${h.autoscale.cpuPercent}%`);
  return out;
}
