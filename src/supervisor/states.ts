/**
 * supervisord's process states and the one table of allowed transitions.
 * Imports nothing; ProcessInstance.changeState is the only writer of state and checks this table.
 */
export type ProcessState = 'STOPPED' | 'STARTING' | 'RUNNING' | 'BACKOFF' | 'STOPPING' | 'EXITED' | 'FATAL';

export const STATES: readonly ProcessState[] = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL'];

/**
 * FROM -> allowed TO. As supervisord's process.py, plus EXITED -> STOPPED: a stop while an
 * auto-restart is pending (Procfile backoff) cancels the restart.
 */
export const TRANSITIONS: Readonly<Record<ProcessState, readonly ProcessState[]>> = {
  STOPPED: ['STARTING'],
  STARTING: ['RUNNING', 'BACKOFF', 'STOPPING'],
  RUNNING: ['STOPPING', 'EXITED'],
  BACKOFF: ['STARTING', 'FATAL', 'STOPPED'],
  STOPPING: ['STOPPED'],
  EXITED: ['STARTING', 'STOPPED'],
  FATAL: ['STARTING'],
};

export function canTransition(from: ProcessState, to: ProcessState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class TransitionError extends Error {
  override readonly name = 'TransitionError';
  constructor(
    readonly process: string,
    readonly from: ProcessState,
    readonly to: ProcessState,
  ) {
    super(`${process}: illegal state transition ${from} -> ${to}`);
  }
}

/** States in which the process has a live pid. */
export const ALIVE: ReadonlySet<ProcessState> = new Set(['STARTING', 'RUNNING', 'STOPPING']);
/** States from which `start` may spawn. */
export const STARTABLE: ReadonlySet<ProcessState> = new Set(['STOPPED', 'EXITED', 'FATAL', 'BACKOFF']);
