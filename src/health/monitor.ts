/**
 * Health at run time: for each instance of a program with checks or readiness notification, the probes
 * (startup, then liveness and readiness), sd_notify's socket and watchdog, s6's notification-fd; and the
 * depends_on start gate. It observes the supervisor's events and acts through it: a failed liveness or
 * startup probe or a missed watchdog ping asks Supervisor.restart (logged with the reason and the last
 * probe's error, counted); readiness sets the instance's READY flag, a flag of RUNNING, never a state.
 */
import type { ProcessSpec, ProgramSpec, ProbeSpec, RunSpec } from '../config/model.js';
import type { Logger } from '../output/log.js';
import type { ProcessInstance } from '../supervisor/instance.js';
import { processEnv, type LaunchedChild, type LaunchExtras } from '../supervisor/spawn.js';
import { resolveUser } from '../supervisor/user.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { ProcessState } from '../supervisor/states.js';
import { longTimeout, type Timer } from '../supervisor/clock.js';
import { parseNotify } from './notify-message.js';
import { NotifySockets, type NotifySocket } from './notify-socket.js';
import { probeExec } from './probe-exec.js';
import { probeHttp } from './probe-http.js';
import { failed, type ProbeResult } from './probe-result.js';
import { probeTcp } from './probe-tcp.js';
import { Prober } from './prober.js';
import { DependencyGate } from './start-order.js';

/** What health knows about one start of one instance; replaced at every start. */
interface Watch {
  inst: ProcessInstance;
  program: ProgramSpec;
  probers: Prober[];
  startupPassed: boolean;
  probeReady: boolean;
  notifyReady: boolean;
  socket: NotifySocket | null;
  watchdogMs: number | null;
  watchdogTimer: Timer | null;
  /** Last probe error, for status. */
  lastError: string | null;
  ended: boolean;
}

export interface HealthMonitorOptions {
  /** Environment programs inherit (for exec probes); default process.env. */
  inherited?: Record<string, string | undefined>;
}

export class HealthMonitor {
  private readonly watches = new Map<ProcessInstance, Watch>();
  private readonly sockets: NotifySockets;
  private readonly gate: DependencyGate;
  private readonly inherited: Record<string, string | undefined>;

  constructor(
    private readonly sup: Supervisor,
    private readonly run: RunSpec,
    private readonly log: Logger,
    opts: HealthMonitorOptions = {},
  ) {
    this.inherited = opts.inherited ?? process.env;
    this.sockets = new NotifySockets((message) => this.log.warn(`sd_notify: ${message}`));
    this.gate = new DependencyGate(run, sup);
    sup.setStartGate(this.gate);
    sup.on('state', (inst: ProcessInstance, from: ProcessState, to: ProcessState) => this.onState(inst, from, to));
    sup.on('spawn', (inst: ProcessInstance, child: LaunchedChild) => this.onSpawn(inst, child));
  }

  /** Whether any program of the run needs the monitor at all. */
  static needed(run: RunSpec): boolean {
    return run.programs.some((p) => {
      const h = p.health;
      return h.checks.liveness || h.checks.readiness || h.checks.startup || h.notify || h.dependsOn.length > 0;
    });
  }

  /** For ProcessLauncher.setExtras: NOTIFY_SOCKET / WATCHDOG_USEC and the notification fd of this start. */
  launchExtras(spec: ProcessSpec): LaunchExtras | null {
    const watch = [...this.watches.values()].find((w) => w.inst.spec === spec && !w.ended);
    const notify = watch?.program.health.notify;
    if (!watch || !notify) return null;
    if (notify.kind === 'fd') return { env: {}, notifyFd: notify.fd };
    const env: Record<string, string> = {};
    if (watch.socket) env.NOTIFY_SOCKET = watch.socket.path;
    if (notify.watchdogMs !== null) env.WATCHDOG_USEC = String(notify.watchdogMs * 1000);
    return { env, notifyFd: null };
  }

  /** Stop every probe and remove the notify sockets (end of the run). */
  dispose(): void {
    for (const w of this.watches.values()) this.end(w);
    this.watches.clear();
    this.sockets.dispose();
  }

  private onState(inst: ProcessInstance, _from: ProcessState, to: ProcessState): void {
    if (to === 'STARTING') {
      if (this.gate.isOneShotDependency(inst.spec.program)) inst.completesForOthers = true;
      this.begin(inst);
    } else if (to === 'RUNNING') {
      const w = this.watches.get(inst);
      if (w && !w.ended) this.startProbes(w);
    } else {
      const w = this.watches.get(inst);
      if (w) this.end(w);
      this.watches.delete(inst); // a new start makes a new watch; a removed instance leaves nothing behind
    }
  }

  /** A new start: fresh flags; the notify socket must exist before the launch reads launchExtras. */
  private begin(inst: ProcessInstance): void {
    const old = this.watches.get(inst);
    if (old) this.end(old);
    const program = this.sup.program(inst.spec.program);
    if (!program) return;
    const h = program.health;
    if (!h.checks.liveness && !h.checks.readiness && !h.checks.startup && !h.notify) {
      this.watches.delete(inst);
      return;
    }
    const w: Watch = {
      inst, program, probers: [], startupPassed: h.checks.startup === null, probeReady: h.checks.readiness === null,
      notifyReady: h.notify === null, socket: null, watchdogMs: h.notify?.kind === 'sd_notify' ? h.notify.watchdogMs : null,
      watchdogTimer: null, lastError: null, ended: false,
    };
    this.watches.set(inst, w);
    // READY waits only for a readiness or startup probe or the program's own word; liveness alone does not gate it
    inst.readyFlag = w.startupPassed && w.probeReady && w.notifyReady;
    if (h.notify?.kind === 'sd_notify') {
      try {
        w.socket = this.sockets.open((messages) => this.onNotify(w, messages));
      } catch (err) {
        this.log.error(`${inst.name}: cannot make its NOTIFY_SOCKET (${(err as Error).message}); it will not become ready`);
      }
    }
  }

  private onSpawn(inst: ProcessInstance, child: LaunchedChild): void {
    const w = this.watches.get(inst);
    if (!w || w.ended) return;
    const pipe = child.notifyPipe;
    if (pipe) {
      pipe.on('data', (chunk: Buffer) => {
        if (w.ended || !chunk.includes(0x0a)) return;
        w.notifyReady = true;
        pipe.destroy(); // s6: the first newline is the whole message
        this.update(w);
      });
      pipe.on('error', () => {});
    } else if (w.program.health.notify?.kind === 'fd') {
      this.log.warn(`${inst.name}: notification-fd needs a program on pipes (not tty=true); it will not become ready`);
    }
  }

  private startProbes(w: Watch): void {
    const { startup } = w.program.health.checks;
    if (startup && !w.startupPassed) {
      const p = this.prober(w, startup, {
        passed: () => {
          w.startupPassed = true;
          p.stop();
          this.log.info(`${w.inst.name}: startup probe passed`);
          this.startAfterStartup(w);
          this.update(w);
        },
        failed: (error, n) => this.restart(w, `startup probe failed ${n} times (last: ${error})`),
      });
      return;
    }
    this.startAfterStartup(w);
    this.update(w);
  }

  private startAfterStartup(w: Watch): void {
    const { liveness, readiness } = w.program.health.checks;
    if (liveness) {
      this.prober(w, liveness, {
        passed: () => {},
        failed: (error, n) => this.restart(w, `liveness probe failed ${n} times (last: ${error})`),
      });
    }
    if (readiness) {
      this.prober(w, readiness, {
        passed: () => {
          w.probeReady = true;
          if (w.inst.healthNote === w.lastError) w.inst.healthNote = null;
          this.update(w);
        },
        failed: (error) => {
          w.probeReady = false;
          this.update(w, error);
        },
      });
    }
  }

  private prober(w: Watch, spec: ProbeSpec, events: { passed(): void; failed(error: string, n: number): void }): Prober {
    const p = new Prober(spec, () => this.probeOnce(w, spec), {
      passed: events.passed,
      failed: (error, n) => {
        w.lastError = error;
        w.inst.healthNote = error;
        events.failed(error, n);
      },
    });
    w.probers.push(p);
    p.start();
    return p;
  }

  private probeOnce(w: Watch, spec: ProbeSpec): Promise<ProbeResult> {
    if (spec.kind === 'exec') {
      const env = processEnv(this.run, w.inst.spec, this.inherited);
      let ids: { uid: number; gid: number } | null = null;
      if (w.inst.spec.user !== null && process.getuid?.() === 0) {
        try {
          const u = resolveUser(w.inst.spec.user);
          ids = { uid: u.uid, gid: u.gid };
        } catch (err) {
          return Promise.resolve(failed(`exec probe: ${(err as Error).message}`));
        }
      }
      const track = (pid: number, alive: boolean): void => {
        if (alive) this.sup.ownPids().add(pid);
        else this.sup.ownPids().delete(pid);
      };
      return probeExec(spec.command ?? ['true'], env, w.inst.spec.directory ?? this.run.root, spec.timeoutMs, track, ids);
    }
    const port = spec.port ?? this.instancePort(w.inst.spec);
    if (port === null) return Promise.resolve(failed(`no port to probe: set port, or PORT for ${w.inst.name}`));
    return spec.kind === 'http' ? probeHttp(spec, port) : probeTcp(spec.host, port, spec.timeoutMs);
  }

  private instancePort(spec: ProcessSpec): number | null {
    const raw = spec.environment.PORT ?? this.run.environment.PORT ?? this.inherited.PORT;
    const n = Number(raw);
    return raw !== undefined && /^\d+$/.test(raw) && n >= 1 && n <= 65535 ? n : null;
  }

  private onNotify(w: Watch, messages: string[]): void {
    if (w.ended) return;
    for (const text of messages) {
      const m = parseNotify(text);
      if (m.status !== undefined) w.inst.healthNote = m.status;
      if (m.watchdogMs !== undefined) w.watchdogMs = m.watchdogMs;
      // systemd arms the watchdog once the service has started (READY=1), and re-arms it at every ping
      if (m.watchdogPing || m.watchdogMs !== undefined || (m.ready === true && w.watchdogTimer === null)) this.armWatchdog(w);
      if (m.watchdogTrigger) return this.restart(w, 'the program asked for a watchdog restart (WATCHDOG=trigger)');
      if (m.ready !== undefined && m.ready !== w.notifyReady) {
        w.notifyReady = m.ready;
        if (m.ready) this.log.info(`${w.inst.name} says READY=1${w.inst.healthNote ? ` (${w.inst.healthNote})` : ''}`);
      }
    }
    this.update(w);
  }

  private armWatchdog(w: Watch): void {
    w.watchdogTimer?.cancel();
    w.watchdogTimer = null;
    if (w.watchdogMs === null || w.ended) return;
    const ms = w.watchdogMs;
    // WATCHDOG_USEC comes from the program (up to 15 digits): longer than setTimeout's 2^31-1 ms is chained
    w.watchdogTimer = longTimeout(ms, () => this.restart(w, `no WATCHDOG=1 within ${ms} ms (watchdog)`)).unref();
  }

  /** READY = every readiness source agrees; a change is logged, and may release held-back dependents. */
  private update(w: Watch, error?: string): void {
    if (w.ended) return;
    const ready = w.startupPassed && w.probeReady && w.notifyReady;
    if (ready === w.inst.readyFlag) return;
    w.inst.readyFlag = ready;
    if (w.inst.state === 'RUNNING') {
      if (ready) this.log.info(`${w.inst.name} is ready`);
      else this.log.warn(`${w.inst.name} is not ready${error ? `: ${error}` : ''}`);
    }
    this.sup.emit('ready', w.inst, ready);
    this.sup.startWaiting(w.inst);
  }

  private restart(w: Watch, reason: string): void {
    if (w.ended) return;
    this.end(w);
    w.inst.healthNote = reason;
    void this.sup.restart(w.inst, reason);
  }

  private end(w: Watch): void {
    if (w.ended) return;
    w.ended = true;
    for (const p of w.probers) p.stop();
    w.watchdogTimer?.cancel();
    w.socket?.close();
    w.socket = null;
  }
}
