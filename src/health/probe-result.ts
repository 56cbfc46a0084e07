/** The outcome of one probe: passed, or failed with a reason a user can read. */
export type ProbeResult = { ok: true } | { ok: false; error: string };

export const PASSED: ProbeResult = { ok: true };

export function failed(error: string): ProbeResult {
  return { ok: false, error };
}
