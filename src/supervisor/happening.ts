/**
 * What happened to a process, as the state machine reports it for procinit's log. The words are chosen
 * elsewhere (src/output/narrate-*.ts): procinit's own for Procfiles, supervisord's for supervisord configs.
 */
import type { ExitInfo } from './exit-info.js';

export type Happening =
  /** A process was started (its pid is known). */
  | { kind: 'spawned'; pid: number }
  /** STARTING -> RUNNING: up for startsecs. */
  | { kind: 'running'; pid: number | null; startsecs: number }
  /** Ended (or could not be started) before startsecs: BACKOFF follows, or FATAL. */
  | { kind: 'start-failed'; info: ExitInfo; attempt: number }
  /** BACKOFF -> FATAL: too many start retries. */
  | { kind: 'gave-up'; attempts: number }
  /** RUNNING -> EXITED by itself. */
  | { kind: 'exited'; info: ExitInfo; expected: boolean; willRestart: boolean }
  /** The stop signal was sent (to the pid, or its process group). */
  | { kind: 'stopping'; pid: number; signal: string; group: boolean; administrative?: boolean }
  /** A stop while waiting to retry: BACKOFF -> STOPPED without a signal. */
  | { kind: 'stop-in-backoff' }
  /** A signal sent on request (supervisorctl signal, procinit signal), not to stop. */
  | { kind: 'signalled'; pid: number; signal: string }
  /** An administrative stop still waits for the process (every 2 s while STOPPING; supervisord's stop_report). */
  | { kind: 'still-stopping' }
  /** stopwaitsecs passed: SIGKILL (to the pid, or its process group). */
  | { kind: 'killing'; pid: number; group: boolean; stopwaitsecs: number }
  /** A pipe from the process reached end-of-file (supervisord: `fd N closed, stopped monitoring …`). */
  | { kind: 'pipe-closed'; fd: number; channel: 'stdout' | 'stderr'; listener: boolean; state: string; dispatcherId: number; processId: number }
  /** STOPPING -> STOPPED. expected: the exit status is in exitcodes (a signal never is). */
  | { kind: 'stopped'; info: ExitInfo; expected: boolean; killed: boolean };

export type HappeningLevel = 'debug' | 'info' | 'warn' | 'error';

export interface NarratedLine {
  level: HappeningLevel;
  msg: string;
}

/** The log lines for a happening: one, several, or null when the dialect says nothing. */
export type Narrator = (name: string, h: Happening, command: { text: string; argv0: string | null }) => NarratedLine | NarratedLine[] | null;
