/** Fake processes and a fake clock for driving a real Supervisor in unit tests. */
import type { ProcessSpec, RunSpec } from '../../../src/config/model.js';
import type { Clock, Timer } from '../../../src/supervisor/clock.js';
import type { ExitInfo } from '../../../src/supervisor/exit-info.js';
import type { LaunchedChild, Launcher } from '../../../src/supervisor/spawn.js';

/** Processes that run until signalled (or exit at once when `dies` says so); every launch is recorded. */
export class FakeLauncher implements Launcher {
  launched: Array<{ name: string; command: string; env: Record<string, string> }> = [];
  signals: Array<{ pid: number; signal: string }> = [];
  /** Processes whose command matches exit with code 1 right after the launch. */
  dies: RegExp | null = null;
  /** Signals that do not end a process (like a trap). */
  ignored = new Set<string>(['USR1', 'USR2', 'HUP']);
  private nextPid = 1000;
  private readonly exits = new Map<number, Array<(i: ExitInfo) => void>>();

  constructor(
    private readonly run: () => RunSpec,
    private readonly now: () => number = Date.now,
  ) {}

  launch(spec: ProcessSpec): LaunchedChild {
    const pid = this.nextPid++;
    this.launched.push({ name: spec.name, command: spec.command, env: { ...this.run().environment, ...spec.environment } });
    const cbs: Array<(i: ExitInfo) => void> = [];
    this.exits.set(pid, cbs);
    if (this.dies?.test(spec.command)) queueMicrotask(() => this.end(pid, { code: 1, signal: null, error: null, at: this.now() }));
    return { pid, stdin: null, stdout: null, stderr: null, pty: null, onExit: (cb) => void cbs.push(cb) };
  }

  private end(pid: number, info: ExitInfo): void {
    const cbs = this.exits.get(pid);
    if (!cbs) return;
    this.exits.delete(pid);
    cbs.forEach((cb) => cb(info));
  }

  /** The fake kill(2). */
  signal = (pid: number, signal: string): void => {
    const p = pid < 0 ? -pid : pid;
    this.signals.push({ pid: p, signal });
    if (this.ignored.has(signal)) return;
    queueMicrotask(() => this.end(p, { code: null, signal, error: null, at: this.now() }));
  };
}

/** Time that moves only when told. */
export class FakeClock implements Clock {
  private t = Date.now();
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): Timer {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }

  /** Move time forward, firing due timers in order (and letting microtasks run between them). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}
