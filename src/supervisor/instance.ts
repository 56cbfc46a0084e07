/**
 * One process instance and its state machine (supervisord's). changeState() is the only writer of
 * `state` and checks the table in states.ts. Time-driven transitions (startsecs, backoff retries,
 * stopwaitsecs, restart delays) go through the injected Clock; processes through the injected Launcher.
 */
import type { ProcessSpec } from '../config/model.js';
import { SIGNALS } from '../config/errors.js';
import type { Clock, Timer } from './clock.js';
import type { ExitInfo } from './exit-info.js';
import type { Happening } from './happening.js';
import { canTransition, TransitionError, type ProcessState } from './states.js';
import { LaunchError, type LaunchedChild, type Launcher } from './spawn.js';
import { killQuietly } from '../pid1/kill.js';

export interface InstanceHooks {
  /** Every state change, after it happened. */
  onState(inst: ProcessInstance, from: ProcessState, to: ProcessState): void;
  /** The process ended by itself (not asked to stop). willRestart: an auto-restart is scheduled. */
  onExit(inst: ProcessInstance, info: ExitInfo, expected: boolean, willRestart: boolean): void;
  /** A child was spawned (its pid must be known to the reaper at once). */
  onSpawn(inst: ProcessInstance, child: LaunchedChild): void;
  /** Reached FATAL (gave up after startretries). */
  onFatal(inst: ProcessInstance): void;
  /** Whether restarts are allowed now (false while the run shuts down). */
  restartsAllowed(): boolean;
  /** Whether a process group still has members (default: kill(-pgid, 0)). */
  groupAlive?(pgid: number): boolean;
  /** Something worth a line in procinit's log (the words are the log's dialect's). */
  report(inst: ProcessInstance, h: Happening): void;
}

/**
 * kill(2) pid or, with group, its process group. live: pid is our child, not reaped yet (so its pid is not
 * anybody else's): a group of it that does not exist yet is then signalled through the pid itself.
 */
export type SendSignal = (pid: number, signal: string, group: boolean, live?: boolean) => void;

/** kill(2) the process or its whole group; ESRCH (already gone) is expected and ignored. */
export const sendSignal: SendSignal = (pid, signal, group, live = false) => {
  if (pid <= 0) return;
  const code = killQuietly(group ? -pid : pid, signal);
  if (code === null) return;
  if (code === 'ESRCH') {
    // native/spawn.c returns the pid before the child's setsid when the exec is known to work: a live
    // child's group may not exist yet. The pid itself then gets the signal, kept blocked until the child
    // execs with default handlers. Never for a leader that is gone: its pid may be another process's now.
    if (group && live) killQuietly(pid, signal);
    return;
  }
  if (group && code === 'EPERM') {
    // the group leader may have changed its group; fall back to the pid itself
    killQuietly(pid, signal);
    return;
  }
  // anything else is a bug worth its exception, as process.kill words it
  process.kill(group ? -pid : pid, `SIG${signal}` as NodeJS.Signals);
};

/** kill(-pgid, 0): does the group still have a member (a zombie not reaped yet counts)? */
export function groupAlive(pgid: number): boolean {
  if (pgid <= 0) return false;
  const code = killQuietly(-pgid, '0');
  return code === null || code === 'EPERM';
}

/** How often the rest of a stopped group is looked at while it has its grace. */
const GROUP_GRACE_POLL_MS = 50;

export class ProcessInstance {
  state: ProcessState = 'STOPPED';
  child: LaunchedChild | null = null;
  /** Process group to clean up even after the leader exited. */
  lastPgid: number | null = null;
  startedAt: number | null = null;
  lastExit: ExitInfo | null = null;
  /** Start attempts that failed in a row (BACKOFF count). */
  backoff = 0;
  /** How many times it was started again after an exit. */
  restarts = 0;
  /** The last stop needed SIGKILL. */
  killed = false;
  /**
   * READY is a flag of RUNNING (as in Kubernetes), never a state: src/health/ clears it at each start of a
   * program with readiness checks or notification and sets it when they pass. Without them it stays true.
   */
  readyFlag = true;
  /** Restarts asked for by health (a failed liveness or startup probe, a missed watchdog ping). */
  healthRestarts = 0;
  /** The program's last STATUS= (sd_notify), or the last failed probe's error. */
  healthNote: string | null = null;
  /** Others wait for it to complete (depends_on completed_successfully): a successful exit does not end the run. */
  completesForOthers = false;
  private restartDelayMs = 0;
  private timer: Timer | null = null;
  private stopWaiters: Array<() => void> = [];
  private stopRequested = false;
  /** When the stop signal's grace ends (SIGKILL then), for the process and, with stopasgroup, its group. */
  private stopDeadline = 0;
  /** The group of a stopped leader whose other members still have their grace (stopasgroup). */
  private graceTimer: Timer | null = null;
  private graceGroup: number | null = null;

  constructor(
    public spec: ProcessSpec,
    private readonly launcher: Launcher,
    private readonly clock: Clock,
    private readonly hooks: InstanceHooks,
    private readonly signal: SendSignal = sendSignal,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | null {
    return this.child && this.child.pid > 0 && (this.state === 'STARTING' || this.state === 'RUNNING' || this.state === 'STOPPING')
      ? this.child.pid
      : null;
  }

  /** RUNNING and ready (its readiness probe passed or it said READY=1; always, when it has neither). */
  get ready(): boolean {
    return this.state === 'RUNNING' && this.readyFlag;
  }

  /** An auto-restart is scheduled (EXITED with a delay running). */
  get restartPending(): boolean {
    return this.state === 'EXITED' && this.timer !== null;
  }

  /** Should this be running right now (for `status` health)? */
  get wanted(): boolean {
    return !(this.state === 'STOPPED' || (this.state === 'EXITED' && this.lastExitExpected()));
  }

  private changeState(to: ProcessState): void {
    const from = this.state;
    if (!canTransition(from, to)) throw new TransitionError(this.name, from, to);
    this.state = to;
    this.hooks.onState(this, from, to);
  }

  private setTimer(ms: number, fn: () => void): void {
    this.clearTimer();
    this.timer = this.clock.after(ms, () => {
      this.timer = null;
      fn();
    });
  }

  private clearTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  // ---- start -------------------------------------------------------------------------------

  /** STOPPED / EXITED / FATAL / BACKOFF -> STARTING: spawn now. No-op when already alive. */
  start(): void {
    if (this.state === 'STARTING' || this.state === 'RUNNING' || this.state === 'STOPPING') return;
    this.clearTimer();
    this.stopRequested = false;
    if (this.state !== 'BACKOFF') this.backoff = 0;
    this.spawn();
  }

  private spawn(): void {
    this.changeState('STARTING');
    this.killed = false;
    this.startedAt = this.clock.now();
    let child: LaunchedChild;
    try {
      child = this.launcher.launch(this.spec);
    } catch (err) {
      const msg = err instanceof LaunchError ? err.message : `cannot start: ${(err as Error).message}`;
      this.onStartFailure({ code: null, signal: null, error: msg, at: this.clock.now() });
      return;
    }
    this.child = child;
    if (child.pid > 0) {
      this.lastPgid = child.pid;
      this.hooks.onSpawn(this, child);
    }
    child.onExit((info) => this.onChildExit(child, info));
    if (this.state !== 'STARTING' || this.child !== child) return; // exited synchronously
    if (child.pid <= 0) return; // spawn failed: the error arrives through onExit
    if (this.spec.startsecs <= 0) this.becomeRunning();
    else this.setTimer(this.spec.startsecs * 1000, () => this.becomeRunning());
  }

  private becomeRunning(): void {
    if (this.state !== 'STARTING') return;
    this.changeState('RUNNING');
    this.backoff = 0;
    this.hooks.report(this, { kind: 'running', pid: this.child?.pid ?? null, startsecs: this.spec.startsecs });
  }

  // ---- exits -------------------------------------------------------------------------------

  private lastExitExpected(): boolean {
    return this.lastExit !== null && this.lastExit.code !== null && this.spec.exitcodes.includes(this.lastExit.code);
  }

  private onChildExit(child: LaunchedChild, info: ExitInfo): void {
    if (this.child !== child) return;
    this.child = null;
    this.lastExit = info;
    this.clearTimer();
    if (this.state === 'STOPPING') {
      // the rest of the group got the stop signal too: it keeps its grace (until stopwaitsecs) after the leader
      const pgid = this.spec.stopasgroup && !this.killed ? this.lastPgid : null;
      if (pgid !== null) this.graceGroup = pgid;
      this.changeState('STOPPED');
      this.hooks.report(this, { kind: 'stopped', info, expected: this.lastExitExpected(), killed: this.killed });
      if (pgid !== null) this.awaitGroup(pgid);
      else this.resolveStop();
      return;
    }
    if (this.state === 'STARTING' && info.error === null && this.spec.startsecs > 0 &&
        this.clock.now() - (this.startedAt ?? 0) < this.spec.startsecs * 1000) {
      this.onStartFailure(info);
      return;
    }
    if (this.state === 'STARTING') {
      if (info.error !== null) return this.onStartFailure(info);
      this.changeState('RUNNING');
    }
    this.onRunningExit(info);
  }

  /** Exited (or could not spawn) before startsecs: BACKOFF, retry after 1, 2, 3 s … or FATAL. */
  private onStartFailure(info: ExitInfo): void {
    this.lastExit = info;
    this.child = null;
    this.changeState('BACKOFF');
    this.backoff += 1;
    this.hooks.report(this, { kind: 'start-failed', info, attempt: this.backoff });
    if (this.backoff > this.spec.startretries || !this.hooks.restartsAllowed()) {
      if (this.stopRequested) {
        this.changeState('STOPPED');
        this.resolveStop();
        return;
      }
      this.changeState('FATAL');
      this.hooks.report(this, { kind: 'gave-up', attempts: this.backoff });
      this.hooks.onFatal(this);
      return;
    }
    this.setTimer(this.backoff * 1000, () => {
      if (this.state === 'BACKOFF') this.spawn();
    });
  }

  private onRunningExit(info: ExitInfo): void {
    const expected = this.lastExitExpected();
    this.changeState('EXITED');
    const policy = this.spec.autorestart;
    const wants = policy === 'true' || (policy === 'unexpected' && !expected);
    const willRestart = wants && this.hooks.restartsAllowed();
    this.hooks.report(this, { kind: 'exited', info, expected, willRestart });
    this.hooks.onExit(this, info, expected, willRestart);
    if (!willRestart || this.state !== 'EXITED') return;
    const delay = this.nextRestartDelay(info);
    const restart = (): void => {
      if (this.state !== 'EXITED' || !this.hooks.restartsAllowed()) return;
      this.restarts += 1;
      this.spawn();
    };
    if (delay > 0) this.setTimer(delay, restart);
    else restart();
  }

  /** Procfile mode: 100 ms doubling to 10 s, reset after 10 s of uptime. supervisord: at once. */
  private nextRestartDelay(info: ExitInfo): number {
    const b = this.spec.restartBackoff;
    if (!b) return 0;
    const uptime = info.at - (this.startedAt ?? info.at);
    this.restartDelayMs = uptime >= b.resetAfterMs || this.restartDelayMs === 0 ? b.initialMs : Math.min(this.restartDelayMs * 2, b.maxMs);
    return this.restartDelayMs;
  }

  // ---- stop --------------------------------------------------------------------------------

  /** Stop signal, then SIGKILL after stopwaitsecs. Resolves once the process is not alive. */
  stop(): Promise<void> {
    this.stopRequested = true;
    switch (this.state) {
      case 'STARTING':
      case 'RUNNING':
        this.changeState('STOPPING');
        this.sendStopSignal();
        break;
      case 'BACKOFF':
      case 'EXITED':
        // supervisord (process.py kill): `Attempted to kill web, which is in BACKOFF state.` at debug
        if (this.state === 'BACKOFF') this.hooks.report(this, { kind: 'stop-in-backoff' });
        this.clearTimer();
        this.changeState('STOPPED');
        return Promise.resolve();
      case 'STOPPING':
        break;
      default:
        // stopped, but the rest of its group may still have its grace: wait for that too
        if (this.graceGroup === null) return Promise.resolve();
    }
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  /** The group a stopped leader left behind is in its grace: is it being waited for? (Its SIGKILL is due later.) */
  get groupInGrace(): number | null {
    return this.graceGroup;
  }

  /**
   * After the leader stopped, wait for the rest of its group until the stop's deadline, then SIGKILL what is
   * left; stop() resolves only then, so a shutdown does not kill the group early.
   */
  private awaitGroup(pgid: number): void {
    const alive = this.hooks.groupAlive ?? groupAlive;
    const check = (): void => {
      this.graceTimer = null;
      if (!alive(pgid)) return this.endGroupGrace();
      if (this.clock.now() >= this.stopDeadline) {
        this.signal(pgid, 'KILL', true);
        return this.endGroupGrace();
      }
      this.graceTimer = this.clock.after(Math.min(GROUP_GRACE_POLL_MS, this.stopDeadline - this.clock.now()), check);
    };
    check();
  }

  private endGroupGrace(): void {
    this.graceTimer?.cancel();
    this.graceTimer = null;
    this.graceGroup = null;
    this.resolveStop();
  }

  private sendStopSignal(): void {
    const pid = this.child?.pid ?? -1;
    this.stopDeadline = this.clock.now() + this.spec.stopwaitsecs * 1000;
    this.hooks.report(this, { kind: 'stopping', pid, signal: this.spec.stopsignal, group: this.spec.stopasgroup });
    this.signal(pid, this.spec.stopsignal, this.spec.stopasgroup, true);
    // a job-control-stopped process must wake up to act on its stop signal
    if (this.spec.stopsignal !== 'CONT') this.signal(pid, 'CONT', this.spec.stopasgroup, true);
    this.setTimer(this.spec.stopwaitsecs * 1000, () => this.kill());
  }

  /** SIGKILL now (grace over, or a second Ctrl-C). */
  kill(): void {
    if (this.graceGroup !== null) {
      // a second Ctrl-C while the rest of a stopped group has its grace
      this.signal(this.graceGroup, 'KILL', true);
      this.endGroupGrace();
    }
    if (this.state !== 'STOPPING') {
      if (this.state === 'STARTING' || this.state === 'RUNNING') {
        this.stopRequested = true;
        this.changeState('STOPPING');
      } else return;
    }
    const pid = this.child?.pid ?? -1;
    this.killed = true;
    this.hooks.report(this, { kind: 'killing', pid, group: this.spec.killasgroup || this.spec.stopasgroup, stopwaitsecs: this.spec.stopwaitsecs });
    this.signal(pid, 'KILL', this.spec.killasgroup || this.spec.stopasgroup, true);
  }

  private resolveStop(): void {
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Send any signal (`procinit signal`, forwarded USR1/USR2): to the process group when stopasgroup or
   * killasgroup is set, unless toGroup says otherwise (supervisord's signalProcess signals the pid only).
   */
  sendSignal(signal: string, toGroup = this.spec.stopasgroup || this.spec.killasgroup): boolean {
    const pid = this.child?.pid;
    if (!pid || pid <= 0 || !(signal in SIGNALS)) return false;
    this.hooks.report(this, { kind: 'signalled', pid, signal });
    this.signal(pid, signal, toGroup, true);
    return true;
  }

  /** Drop timers (the run is over). */
  dispose(): void {
    this.clearTimer();
    this.graceTimer?.cancel();
    this.graceTimer = null;
  }
}
