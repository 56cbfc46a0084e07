/**
 * procinit's events, as supervisord raises them, for [eventlistener:x] pools. Driven from outside the state
 * machine: the supervisor's `state` and `shutdown` events become PROCESS_STATE_* and
 * SUPERVISOR_STATE_CHANGE_STOPPING; a wrapping Launcher taps the output of programs with *_events_enabled or
 * *_capture_maxbytes (PROCESS_LOG_*, PROCESS_COMMUNICATION_*) and connects each listener process's stdin and
 * stdout to its pool; timers raise TICK_5/60/3600. `bus.publish(event)` is the API for everything else
 * (XML-RPC's sendRemoteCommEvent publishes a REMOTE_COMMUNICATION event).
 */
import type { EventListenerSpec, ProcessSpec, ProgramSpec, RunSpec } from '../config/model.js';
import type { Logger } from '../output/log.js';
import type { LaunchedChild, Launcher } from '../supervisor/spawn.js';
import type { ProcessInstance } from '../supervisor/instance.js';
import type { ProcessState } from '../supervisor/states.js';
import { EventBus } from './bus.js';
import { OutputChannel } from './capture.js';
import {
  type SupervisorEvent,
  processCommunicationEvent,
  processGroupEvent,
  processLogEvent,
  processStateEvent,
  pyBytesRepr,
  supervisorStateEvent,
  tickEvent,
} from './event.js';
import { EventListenerPool, type PoolLog } from './pool.js';
import { writeEvent } from './stdin.js';
import { teePipe } from './tee.js';
import { isEventTypeName, TICKS, type EventTypeName } from './types.js';

/** The longest a stop waits for listeners to take the events waiting for them. */
export const SETTLE_MS = 2000;

/** What the event system needs of the supervisor: its state changes and the start of its shutdown. */
export interface SupervisorEvents {
  on(event: 'state', fn: (inst: ProcessInstance, from: ProcessState, to: ProcessState) => void): unknown;
  on(event: 'shutdown', fn: (reason: string) => void): unknown;
}

export class EventSystem {
  readonly bus = new EventBus();
  private readonly pools = new Map<string, EventListenerPool>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly subscriptions = new Map<EventListenerPool, () => void>();
  private tickTimer: NodeJS.Timeout | null = null;
  private readonly lastTick = new Map<number, number>();
  private readonly log: PoolLog;
  private started = false;
  /** loglevel=debug: only then are a listener's bytes rendered for the log. */
  private debugOn: boolean;
  private closed = false;

  constructor(
    private readonly run: RunSpec,
    private readonly logger: Logger,
  ) {
    this.debugOn = isDebug(run.loglevel);
    this.log = {
      debugEnabled: this.debugOn,
      debug: (m) => logger.debug?.(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    };
  }


  /** Raise an event (the API for other parts: XML-RPC's sendRemoteCommEvent publishes REMOTE_COMMUNICATION). */
  publish(event: SupervisorEvent): void {
    this.bus.publish(event);
  }

  /**
   * The launcher that connects listeners and taps output (a group that XML-RPC's addProcessGroup or a reload
   * brings may hold listeners even when the run started without any; for other programs it adds nothing).
   */
  wrap(inner: Launcher): Launcher {
    return { launch: (spec) => this.adopt(spec, inner.launch(spec)) };
  }

  /** Watch the supervisor's state changes and shutdown. */
  watch(supervisor: SupervisorEvents): void {
    supervisor.on('state', (inst, from, to) => this.onState(inst, from, to));
    supervisor.on('shutdown', () => this.bus.publish(supervisorStateEvent('STOPPING')));
  }

  /**
   * Before the programs start: make the pools in supervisord's order, each group's PROCESS_GROUP_ADDED after
   * the pools made so far (a pool gets the groups added after it, itself included), then
   * SUPERVISOR_STATE_CHANGE_RUNNING, then the tick timer.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const seen = new Set<string>();
    for (const program of this.run.programs) {
      const listener = program.instances[0]?.eventListener;
      if (listener) this.ensurePool(listener, program.instances.map((i) => i.name));
      if (!seen.has(program.group)) {
        seen.add(program.group);
        this.bus.publish(processGroupEvent('ADDED', program.group));
      }
    }
    this.bus.publish(supervisorStateEvent('RUNNING'));
    this.startTicksIfWanted();
  }

  /**
   * supervisord's restart (SIGHUP, XML-RPC restart), once every process has stopped and the run holds the
   * config read again: events.clear() drops every pool with what it still held, then the groups are added
   * again as at start (new pools, pool serials from 0; the global serial goes on), then RUNNING.
   */
  restart(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
    this.subscriptions.clear();
    this.debugOn = isDebug(this.run.loglevel);
    this.started = false;
    this.start();
  }

  /** The run's listener programs by group, for the programs array it was made from (a reload replaces it). */
  private listenersByGroup: { of: ProgramSpec[]; length: number; groups: Map<string, ProgramSpec[]> } | null = null;

  /**
   * The pools of a group's listener programs, made (and subscribed) before the group's ADDED is raised. From
   * an index: a scan of every program for each group made a reload adding 5,000 groups quadratic (110 ms
   * in one slice of the event loop).
   */
  private ensurePools(group: string): void {
    const programs = this.run.programs;
    let index = this.listenersByGroup;
    if (index === null || index.of !== programs || index.length !== programs.length) {
      const groups = new Map<string, ProgramSpec[]>();
      for (const program of programs) {
        if (!program.instances[0]?.eventListener) continue;
        const list = groups.get(program.group);
        if (list === undefined) groups.set(program.group, [program]);
        else list.push(program);
      }
      index = this.listenersByGroup = { of: programs, length: programs.length, groups };
    }
    for (const program of index.groups.get(group) ?? []) {
      const listener = program.instances[0]?.eventListener;
      if (listener) this.ensurePool(listener, program.instances.map((i) => i.name));
    }
  }

  /**
   * Before listener processes are stopped with everything else: wait (at most SETTLE_MS) until their pools
   * have delivered what they hold, so that a listener hears of the FATAL that ends the run or of the
   * shutdown itself (supervisord stops listeners last and keeps dispatching meanwhile). Pools whose
   * listeners cannot take events (none RUNNING and READY or BUSY) are not waited for.
   */
  async settle(instances: readonly { spec: ProcessSpec; state: string }[], timeoutMs = SETTLE_MS): Promise<void> {
    const pools = [...new Set(instances.filter((i) => i.spec.eventListener && i.state === 'RUNNING').map((i) => this.pools.get(i.spec.eventListener!.pool)))].filter(
      (p): p is EventListenerPool => p !== undefined,
    );
    if (pools.length === 0) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && pools.some((p) => p.pending())) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * PROCESS_GROUP_ADDED / REMOVED for a group that XML-RPC (supervisorctl update) or `procinit reload` added
   * or removed. An added listener group's pool is made first (supervisord's make_group), so it hears of itself.
   */
  groupChanged(kind: 'ADDED' | 'REMOVED', group: string): void {
    if (kind === 'ADDED') this.ensurePools(group);
    // a removed pool stops listening first (supervisord's before_remove), so it does not hear of its own removal
    const pool = kind === 'REMOVED' ? this.pools.get(group) : undefined;
    if (pool) {
      pool.close();
      this.pools.delete(group);
      const i = this.subscriptions.get(pool);
      i?.();
    }
    this.bus.publish(processGroupEvent(kind, group));
  }

  /** The pool of a listener, made (and subscribed) the first time; a reload may bring new ones. */
  private ensurePool(listener: EventListenerSpec, names: string[]): EventListenerPool {
    let pool = this.pools.get(listener.pool);
    if (!pool) {
      pool = new EventListenerPool(
        {
          name: listener.pool,
          events: listener.events.filter(isEventTypeName),
          bufferSize: listener.bufferSize,
          identifier: this.run.identifier ?? 'supervisor',
        },
        this.bus,
        this.log,
      );
      pool.setOrder(names);
      this.pools.set(listener.pool, pool);
      const unsubscribe = this.bus.subscribe(pool);
      this.subscriptions.set(pool, unsubscribe);
      this.unsubscribe.push(unsubscribe);
      if (this.started) this.startTicksIfWanted();
    }
    return pool;
  }

  /** Stop the timers and the pools (the run is over). */
  close(): void {
    this.closed = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    for (const u of this.unsubscribe.splice(0)) u();
    for (const p of this.pools.values()) p.close();
  }

  /** A pool by name (tests, status). */
  pool(name: string): EventListenerPool | undefined {
    return this.pools.get(name);
  }

  // ---- process state ---------------------------------------------------------------------------

  private onState(inst: ProcessInstance, from: ProcessState, to: ProcessState): void {
    try {
      const pid = inst.lastPgid ?? 0;
      const exit = inst.lastExit;
      // no [eventlistener:x] and no watcher: two events per start would be made for nobody
      if (this.bus.listening) {
        this.bus.publish(
          processStateEvent({
            name: inst.name,
            group: inst.spec.group,
            from,
            to,
            // supervisord counts the failed start before it tells BACKOFF; the instance counts it after
            tries: to === 'BACKOFF' ? inst.backoff + 1 : inst.backoff,
            expected: exit !== null && exit.code !== null && inst.spec.exitcodes.includes(exit.code),
            pid: to === 'STOPPED' && from !== 'STOPPING' ? 0 : pid,
          }),
        );
      }
      const listener = inst.spec.eventListener;
      if (listener) this.pools.get(listener.pool)?.processState(inst.name, to);
    } catch (err) {
      this.logger.error(`events: ${(err as Error).message}`);
    }
  }

  // ---- processes -------------------------------------------------------------------------------

  private adopt(spec: ProcessSpec, child: LaunchedChild): LaunchedChild {
    if (child.pid <= 0 || child.pty) return child;
    try {
      if (spec.eventListener) this.connectListener(spec, child);
      this.tapOutput(spec, child);
    } catch (err) {
      this.logger.error(`events: ${spec.name}: ${(err as Error).message}`);
    }
    return child;
  }

  private connectListener(spec: ProcessSpec, child: LaunchedChild): void {
    if (!child.stdout) return;
    const pool = this.ensurePool(spec.eventListener!, [spec.name]);
    const listener = pool.attach(spec.name, {
      write: (data) => {
        const stdin = child.stdin;
        if (stdin) writeEvent(stdin, data);
      },
    });
    const tee = teePipe(
      child.stdout,
      (chunk) => {
        // supervisord's PEventListenerDispatcher: `'%r %s output:\n%s' % (name, channel, bytes)` at debug
        if (this.debugOn) this.log.debug(`'${spec.name}' stdout output:\n${pyBytesRepr(chunk)}`);
        listener.protocol.push(chunk);
        return chunk;
      },
      (err) => this.logger.error(`events: ${spec.name}: ${err.message}`),
    );
    child.stdout = tee.pipe;
    child.onExit(() => {
      tee.drain();
      pool.detach(listener);
    });
  }

  /** *_events_enabled and *_capture_maxbytes: the channel's output is seen here before the hub logs it. */
  private tapOutput(spec: ProcessSpec, child: LaunchedChild): void {
    const opts = spec.outputEvents;
    if (!opts) return;
    const channels: Array<['stdout' | 'stderr', 'stdout' | 'stderr']> = [['stderr', 'stderr']];
    // a listener's stdout is the protocol (no PROCESS_LOG events for it, as in supervisord)
    if (!spec.eventListener) channels.push(['stdout', 'stdout']);
    for (const [pipeName, configured] of channels) {
      // redirect_stderr: one dispatcher, the stdout one, for both
      const channel = spec.redirect_stderr ? 'stdout' : configured;
      const o = opts[channel];
      const pipe = child[pipeName];
      if (!pipe || (!o.eventsEnabled && o.captureMaxBytes === 0)) continue;
      if (!this.wantsOutput(o.eventsEnabled, o.captureMaxBytes)) continue;
      const out = new OutputChannel({
        captureMaxBytes: o.captureMaxBytes,
        eventsEnabled: o.eventsEnabled,
        onLog: (data) => this.bus.publish(processLogEvent(spec.name, spec.group, child.pid, channel, data)),
        onCommunication: (data) => {
          this.bus.publish(processCommunicationEvent(spec.name, spec.group, child.pid, channel, data));
          this.log.debug(`'${spec.name}' ${channel} emitted a comm event`);
        },
      });
      const tee = teePipe(pipe, (chunk) => out.push(chunk), (err) => this.logger.error(`events: ${spec.name}: ${err.message}`), () => out.flush());
      child[pipeName] = tee.pipe;
      child.onExit(() => tee.drain());
    }
  }

  /** Capture mode changes what is logged, so it always applies; PROCESS_LOG only costs when someone listens. */
  private wantsOutput(eventsEnabled: boolean, captureMaxBytes: number): boolean {
    if (captureMaxBytes > 0) return true;
    return eventsEnabled && (['PROCESS_LOG_STDOUT', 'PROCESS_LOG_STDERR'] as EventTypeName[]).some((t) => this.bus.wants(t) || !this.started);
  }

  // ---- ticks -----------------------------------------------------------------------------------

  /** supervisord's tick(): when a period's time slice changes, TICK_<period> with the new slice's start. */
  private startTicksIfWanted(): void {
    if (this.closed) return;
    if (this.tickTimer === null && TICKS.some((t) => this.bus.wants(t.name))) this.startTicks();
  }

  private startTicks(): void {
    const check = (): void => {
      const now = Date.now() / 1000;
      for (const { name, period } of TICKS) {
        const slice = Math.floor(now - (now % period));
        const last = this.lastTick.get(period);
        if (last === undefined) this.lastTick.set(period, slice);
        else if (slice !== last) {
          this.lastTick.set(period, slice);
          this.bus.publish(tickEvent(name, slice));
        }
      }
      const ms = 5000 - (Date.now() % 5000) + 5;
      this.tickTimer = setTimeout(check, ms);
      this.tickTimer.unref();
    };
    check();
  }
}

/** loglevel debug or finer (supervisord's DEBG, TRAC, BLAT): listeners' protocol bytes are logged. */
function isDebug(level: string | null | undefined): boolean {
  return ['debug', 'trace', 'blather'].includes((level ?? '').toLowerCase());
}
