/** How a process ended. */
export interface ExitInfo {
  /** Exit code, or null when killed by a signal or never started. */
  code: number | null;
  /** Signal name without SIG (e.g. "TERM"), or null. */
  signal: string | null;
  /** Why it could not be started (spawn error), or null. */
  error: string | null;
  /** Wall clock of the exit. */
  at: number;
}

import { SIGNALS } from '../config/errors.js';

/** The shell's view of an exit: the code, or 128+n for signal n; 127/126 for spawn errors. */
export function exitStatus(info: ExitInfo): number {
  if (info.code !== null) return info.code;
  if (info.signal !== null) return 128 + (SIGNALS[info.signal] ?? (Number(info.signal) || 0));
  if (info.error !== null) return /EACCES|not executable/.test(info.error) ? 126 : 127;
  return 1;
}

/** How a raw wait status (waitpid) ended: a code, or a signal name. */
export function fromWaitStatus(status: number, at: number): ExitInfo {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff, signal: null, error: null, at };
  const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === sig) ?? String(sig);
  return { code: null, signal: name, error: null, at };
}

export function describeExit(info: ExitInfo): string {
  if (info.error !== null) return info.error;
  if (info.signal !== null) return `killed by SIG${info.signal}`;
  return `exited with code ${info.code}`;
}
