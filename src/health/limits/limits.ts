/**
 * The small numeric interface the limits mechanism works from: what one instance may use. Filled from the
 * model (ProgramSpec.health.limits: CF `memory`, fly [[vm]], procinit.toml) by whoever wires the monitor.
 */
export interface ResourceLimits {
  /** Memory of the instance's whole process tree, in bytes; null = no limit. */
  memoryBytes: number | null;
  /** CPU time in cores (0.5 = half of one core); null = no limit. */
  cpu: number | null;
}

export const NO_LIMITS: ResourceLimits = { memoryBytes: null, cpu: null };

export function hasLimits(l: ResourceLimits): boolean {
  return l.memoryBytes !== null || l.cpu !== null;
}
