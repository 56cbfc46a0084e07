/** A fake clock and fake processes, so the state machine can be driven step by step. */
import type { ProcessSpec } from '../../src/config/model.js';
import type { Clock, Timer } from '../../src/supervisor/clock.js';
import type { ExitInfo } from '../../src/supervisor/exit-info.js';
import type { LaunchedChild, Launcher } from '../../src/supervisor/spawn.js';
import { LaunchError } from '../../src/supervisor/spawn.js';

export class FakeClock implements Clock {
  t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): Timer {
    const entry = { at: this.t + ms, fn, live: true };
    this.timers.push(entry);
    return { cancel: () => (entry.live = false) };
  }

  /** Move time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.live = false;
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => x.live);
  }

  pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}

export class FakeChild implements LaunchedChild {
  stdin = null;
  stdout = null;
  stderr = null;
  pty = null;
  private cbs: Array<(i: ExitInfo) => void> = [];
  constructor(
    readonly pid: number,
    private readonly clock: FakeClock,
  ) {}
  onExit(cb: (i: ExitInfo) => void): void {
    this.cbs.push(cb);
  }
  exit(code: number | null, signal: string | null = null): void {
    const info = { code, signal, error: null, at: this.clock.now() };
    for (const cb of this.cbs) cb(info);
  }
}

export class FakeLauncher implements Launcher {
  children: FakeChild[] = [];
  failWith: string | null = null;
  private nextPid = 100;
  constructor(private readonly clock: FakeClock) {}
  launch(_spec: ProcessSpec): LaunchedChild {
    if (this.failWith) throw new LaunchError(this.failWith);
    const c = new FakeChild(this.nextPid++, this.clock);
    this.children.push(c);
    return c;
  }
  get last(): FakeChild {
    return this.children[this.children.length - 1];
  }
}

export function spec(over: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    group: 'web',
    name: 'web',
    command: 'server',
    directory: null,
    user: null,
    umask: null,
    environment: {},
    autostart: true,
    autorestart: 'unexpected',
    exitcodes: [0],
    startsecs: 1,
    startretries: 3,
    stopwaitsecs: 10,
    priority: 999,
    stopsignal: 'TERM',
    stopasgroup: false,
    killasgroup: false,
    redirect_stderr: false,
    program: 'web',
    instance: 0,
    argv: null,
    tty: false,
    stdoutLog: { kind: 'mux' },
    stderrLog: { kind: 'mux' },
    exitEndsRun: false,
    restartBackoff: null,
    source: { file: 'test.conf', line: 1 },
    ...over,
  };
}
