/** Prober: Kubernetes' schedule and thresholds, with fake timers and scripted probe results. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProbeSpec } from '../../../src/config/model.js';
import { Prober } from '../../../src/health/prober.js';
import type { ProbeResult } from '../../../src/health/probe-result.js';

const spec = (o: Partial<ProbeSpec> = {}): ProbeSpec => ({
  kind: 'tcp', scheme: 'http', host: '127.0.0.1', path: '/', port: 1, headers: {}, command: null,
  initialDelayMs: 0, periodMs: 1000, timeoutMs: 100, successThreshold: 1, failureThreshold: 3,
  source: { file: 'x', line: 1 }, ...o,
});

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function scripted(results: boolean[]): { probe: () => Promise<ProbeResult>; calls: () => number } {
  let n = 0;
  return {
    probe: async () => (results[n++] ?? true ? { ok: true } : { ok: false, error: `failure ${n}` }),
    calls: () => n,
  };
}

describe('Prober', () => {
  it('waits initialDelay, then probes every period; fails once after failureThreshold failures in a row', async () => {
    const s = scripted([true, false, false, true, false, false, false, false]);
    const events: string[] = [];
    const p = new Prober(spec({ initialDelayMs: 5000 }), s.probe, { passed: () => events.push('passed'), failed: (e, n) => events.push(`failed ${n}: ${e}`) });
    p.start();
    await vi.advanceTimersByTimeAsync(4999);
    expect(s.calls()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['passed']);
    await vi.advanceTimersByTimeAsync(3000); // false, false, true: the run of failures is broken
    expect(events).toEqual(['passed']);
    await vi.advanceTimersByTimeAsync(3000); // false x3
    expect(events).toEqual(['passed', 'failed 3: failure 7']);
    await vi.advanceTimersByTimeAsync(1000); // a fourth failure is not reported again
    expect(events).toHaveLength(2);
    expect(p.lastError).toBe('failure 8');
    p.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(s.calls()).toBe(8);
  });

  it('passes only after successThreshold successes in a row (readiness)', async () => {
    const s = scripted([false, false, false, true, true, false, true, true, true]);
    const events: string[] = [];
    const p = new Prober(spec({ successThreshold: 3 }), s.probe, { passed: () => events.push('passed'), failed: () => events.push('failed') });
    p.start();
    await vi.advanceTimersByTimeAsync(8500);
    expect(events).toEqual(['failed', 'passed']);
    expect(s.calls()).toBe(9);
    p.stop();
  });
});
