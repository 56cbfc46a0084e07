/**
 * Signals as PID 1 sees them. The kernel drops a signal sent to PID 1 that has no handler, so every
 * signal procinit cares about gets an explicit one here.
 */
export interface SignalActions {
  /** TERM / INT / QUIT: graceful shutdown. */
  shutdown(signal: string): void;
  /** A second INT: SIGKILL at once. */
  killNow(): void;
  /** USR1 / USR2 (and more in tini mode): pass on to every process group. */
  forward(signal: string): void;
  /** HUP: re-read the config. */
  reload(): void;
}

/** Signals forwarded as they are in tini mode: every catchable one Node lets us listen to. */
export const FORWARDABLE: readonly string[] = [
  'HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'TERM', 'WINCH', 'CONT', 'TSTP', 'TTIN', 'TTOU',
  'ALRM', 'VTALRM', 'PROF', 'IO', 'PWR', 'SYS', 'URG', 'XCPU', 'XFSZ', 'TRAP', 'ABRT',
];

type Handler = () => void;

function listen(handlers: Array<[string, Handler]>): () => void {
  for (const [sig, fn] of handlers) process.on(`SIG${sig}` as NodeJS.Signals, fn);
  return () => {
    for (const [sig, fn] of handlers) process.off(`SIG${sig}` as NodeJS.Signals, fn);
  };
}

/** Supervisor mode: TERM/INT/QUIT stop, a second INT kills, USR1/USR2 forward, HUP reloads. */
export function handleSupervisorSignals(actions: SignalActions): () => void {
  let stopping = false;
  const stop = (sig: string) => (): void => {
    if (stopping && sig === 'INT') return actions.killNow();
    stopping = true;
    actions.shutdown(sig);
  };
  const ignore: Handler = () => {};
  return listen([
    ['TERM', stop('TERM')],
    ['INT', stop('INT')],
    ['QUIT', stop('QUIT')],
    ['USR1', () => actions.forward('USR1')],
    ['USR2', () => actions.forward('USR2')],
    ['HUP', () => actions.reload()],
    ['WINCH', ignore],
    // job control: never let procinit itself be suspended
    ['TSTP', ignore],
    ['TTIN', ignore],
    ['TTOU', ignore],
  ]);
}

/** tini mode: every catchable signal goes to the child; TERM/INT/QUIT also start the grace timer. */
export function handleForwardedSignals(forward: (signal: string) => void): () => void {
  return listen(
    FORWARDABLE.map((sig) => [sig, () => forward(sig)] as [string, Handler]),
  );
}
