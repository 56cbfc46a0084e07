/** Time as the state machine sees it: real in production, fake in unit tests. */
export interface Timer {
  cancel(): void;
}

/** A timer that may also stop keeping the process alive (Node's unref), across its whole chain. */
export interface LongTimer extends Timer {
  unref(): LongTimer;
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
export function longTimeout(ms: number, fn: () => void): LongTimer {
  let t: NodeJS.Timeout | null = null;
  let unrefd = false;
  const timer: LongTimer = {
    cancel: () => {
      if (t) clearTimeout(t);
      t = null;
    },
    unref: () => {
      unrefd = true;
      t?.unref();
      return timer;
    },
  };
  if (ms === Infinity) return timer;
  const wait = Number.isNaN(ms) || ms < 0 ? 0 : ms;
  const due = performance.now() + wait;
  const arm = (left: number): void => {
    t = left > MAX_TIMEOUT_MS ? setTimeout(() => arm(due - performance.now()), MAX_TIMEOUT_MS) : setTimeout(fn, Math.max(0, left));
    if (unrefd) t.unref();
  };
  arm(wait);
  return timer;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after: longTimeout,
};
