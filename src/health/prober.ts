/**
 * One probe of one instance, run on Kubernetes' schedule: the first after initialDelay, then every period
 * (counted from the start of the previous probe; a probe still running when the next is due delays it).
 * failureThreshold failures in a row make it `failed`, successThreshold successes in a row `passed`;
 * each change is reported once. Timers are unref'd: probes never keep procinit alive.
 */
import type { ProbeSpec } from '../config/model.js';
import type { ProbeResult } from './probe-result.js';

export interface ProberEvents {
  passed(): void;
  failed(error: string, failures: number): void;
}

export class Prober {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private verdict: 'unknown' | 'passed' | 'failed' = 'unknown';
  /** The last failure's message (for status and logs). */
  lastError: string | null = null;

  constructor(
    readonly spec: ProbeSpec,
    private readonly probe: () => Promise<ProbeResult>,
    private readonly events: ProberEvents,
  ) {}

  start(): void {
    this.schedule(this.spec.initialDelayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    const began = Date.now();
    let result: ProbeResult;
    try {
      result = await this.probe();
    } catch (err) {
      result = { ok: false, error: (err as Error).message };
    }
    if (this.stopped) return;
    this.record(result);
    if (!this.stopped) this.schedule(Math.max(0, this.spec.periodMs - (Date.now() - began)));
  }

  private record(result: ProbeResult): void {
    if (result.ok) {
      this.successes += 1;
      this.failures = 0;
      if (this.successes >= this.spec.successThreshold && this.verdict !== 'passed') {
        this.verdict = 'passed';
        this.events.passed();
      }
      return;
    }
    this.failures += 1;
    this.successes = 0;
    this.lastError = result.error;
    if (this.failures >= this.spec.failureThreshold && this.verdict !== 'failed') {
      this.verdict = 'failed';
      this.events.failed(result.error, this.failures);
    }
  }
}
