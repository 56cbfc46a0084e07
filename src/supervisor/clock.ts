/** Time as the state machine sees it: real in production, fake in unit tests. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  after(ms: number, fn: () => void): Timer;
}

/** The longest delay setTimeout takes: anything longer is cut to 1 ms, with a TimeoutOverflowWarning. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * setTimeout for any delay: a delay above MAX_TIMEOUT_MS (24.8 days: `stopwaitsecs=2200000`, `-t 3000000`)
 * is a chain of timers, each re-armed with what is left of the delay (measured on the monotonic clock),
 * so it fires when it should and Node never warns. An infinite delay never fires; NaN or a negative delay
 * fires at once, as setTimeout would. Every duration procinit puts on a timer goes through here.
 */
export function longTimeout(ms: number, fn: () => void): Timer {
  if (ms === Infinity) return { cancel: () => {} };
  const wait = Number.isNaN(ms) || ms < 0 ? 0 : ms;
  if (wait <= MAX_TIMEOUT_MS) {
    const t = setTimeout(fn, wait);
    return { cancel: () => clearTimeout(t) };
  }
  const due = performance.now() + wait;
  let t: NodeJS.Timeout;
  const arm = (): void => {
    const left = due - performance.now();
    t = left > MAX_TIMEOUT_MS ? setTimeout(arm, MAX_TIMEOUT_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return { cancel: () => clearTimeout(t) };
}

export const realClock: Clock = {
  now: () => Date.now(),
  after: longTimeout,
};
