/** Timers of any length: chained above 2^31-1 ms, never cut to 1 ms, never a TimeoutOverflowWarning. */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { longTimeout, MAX_TIMEOUT_MS } from '../../../src/supervisor/clock.js';

describe('longTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires exactly when due, for any delay, and never passes setTimeout more than 2^31-1 ms', () => {
    const real = globalThis.setTimeout;
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: MAX_TIMEOUT_MS - 5, max: MAX_TIMEOUT_MS + 5 }), fc.integer({ min: 0, max: 2 ** 52 }).map((n) => n % 1e13)),
        (ms) => {
          const delays: number[] = [];
          const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, d: number) => {
            delays.push(d);
            return real(fn, d);
          }) as typeof setTimeout);
          let fired = false;
          longTimeout(ms, () => (fired = true));
          // the fake performance clock is exact to a millisecond or two at 10^12 ms (30 years)
          const before = Math.max(0, ms - 1 - Math.floor(ms * 1e-9));
          vi.advanceTimersByTime(before);
          const early = fired && before > 0;
          vi.advanceTimersByTime(ms - before + 2);
          spy.mockRestore();
          expect(early).toBe(false);
          expect(fired).toBe(true);
          expect(delays.every((d) => d <= MAX_TIMEOUT_MS)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never fires for Infinity; fires at once for NaN and negative delays; cancel works across the chain', () => {
    const fired: string[] = [];
    longTimeout(Infinity, () => fired.push('inf'));
    longTimeout(NaN, () => fired.push('nan'));
    longTimeout(-5, () => fired.push('neg'));
    const t = longTimeout(3 * MAX_TIMEOUT_MS, () => fired.push('cancelled'));
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 10);
    t.cancel();
    vi.advanceTimersByTime(5 * MAX_TIMEOUT_MS);
    expect(fired.sort()).toEqual(['nan', 'neg']);
  });
});

describe('longTimeout: unref', () => {
  it('unref applies to every timer of the chain', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const unrefs: number[] = [];
      const real = globalThis.setTimeout;
      const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, d: number) => {
        const t = real(fn, d) as unknown as { unref(): unknown };
        const own = t.unref?.bind(t);
        t.unref = () => {
          unrefs.push(d);
          return own ? own() : t;
        };
        return t;
      }) as typeof setTimeout);
      let fired = false;
      longTimeout(2.5 * MAX_TIMEOUT_MS, () => (fired = true)).unref();
      vi.advanceTimersByTime(3 * MAX_TIMEOUT_MS);
      spy.mockRestore();
      expect(fired).toBe(true);
      expect(unrefs).toHaveLength(3); // MAX, MAX, then the rest: each one unref-ed
    } finally {
      vi.useRealTimers();
    }
  });
});
