/**
 * The supervisor: owns every ProcessInstance, starts them in priority order, wires their output to the
 * hub, applies the run policy, and shuts down as a ladder of named waits:
 * stop each (its stop signal) -> wait for done or timeout (each its own stopwaitsecs) -> kill each.
 */
import { EventEmitter } from 'node:events';
import type { ProcessSpec, ProgramSpec, RunSpec } from '../config/model.js';
import { DEFAULT_MAX_LINE, LineChunker } from '../output/lines.js';
import type { OutputHub } from '../output/hub.js';
import type { OutputPipe } from '../output/pipe.js';
import type { Logger } from '../output/log.js';
import { narrateProcinit } from '../output/narrate-procinit.js';
import { narrateSupervisord } from '../output/narrate-supervisord.js';
import type { Happening, Narrator } from './happening.js';
import { realClock, type Clock } from './clock.js';
import { ProcessInstance, sendSignal, type InstanceHooks, type SendSignal } from './instance.js';
import { decideOnExit, decideOnFatal, decideWhenIdle, type RunDecision } from './policy.js';
import { ProcessLauncher, type LaunchedChild, type Launcher } from './spawn.js';
import type { ProcessState } from './states.js';

/** Numbers standing in for Python's object ids in supervisord's dispatcher repr (debug lines). */
let nextObjectId = 140_000_000_000_000;
const objectIds = new WeakMap<object, number>();
const objectId = (o: object): number => {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextObjectId += 4_176));
  return id;
};

/** What `fd N closed, stopped monitoring …` says of a pipe that reached end-of-file. */
function pipeClosed(inst: ProcessInstance, channel: 'stdout' | 'stderr', pipe: OutputPipe): Happening {
  const fd = 'fd' in pipe ? pipe.fd : ((pipe as { sourceFd?: number }).sourceFd ?? -1);
  return { kind: 'pipe-closed', fd, channel, listener: inst.spec.eventListener !== undefined, state: inst.state, dispatcherId: objectId(pipe), processId: objectId(inst) };
}

/** How often supervisord repeats `waiting for x to stop` while an administrative stop waits (process.py). */
const STOP_REPORT_MS = 2000;

export interface SupervisorDeps {
  launcher?: Launcher;
  clock?: Clock;
  hub?: OutputHub | null;
  log: Logger;
  signal?: SendSignal;
  /** The words of procinit's log; default: supervisord's for a supervisord config, else procinit's own. */
  narrator?: Narrator;
  /**
   * Awaited before each level of a stop-all is stopped (src/events: event listeners get the events still
   * waiting for them, such as the FATAL that ends the run, before they are stopped). Must bound its own wait.
   */
  beforeStop?: (instances: readonly ProcessInstance[]) => Promise<void>;
}

/**
 * Start order beyond priority (src/health/ gives one for depends_on): which instances must wait before
 * starting, and in which order to stop.
 */
export interface StartGate {
  /**
   * null when inst may start now, else what it waits for (e.g. "db ready"). memo: answers per dependency
   * that stay true while no instance of that dependency changes (one pass of startWaiting).
   */
  waitingFor(inst: ProcessInstance, memo?: DependencyMemo): string | null;
  /**
   * The programs whose held-back instances a change of this program's instances may release; without it,
   * every held-back instance is asked again at each change.
   */
  dependents?(program: string): readonly string[];
  /** Higher ranks stop first (dependents before what they depend on); ties fall back to priority. */
  stopRank(inst: ProcessInstance): number;
}

/** A start gate's answers for one pass, by program, then by condition (see StartGate.waitingFor). */
export type DependencyMemo = Map<string, Map<string, string | null>>;

/** Forget a program's memoized answers (one of its instances changed). */
function forget(memo: DependencyMemo, program: string): void {
  memo.delete(program);
}

export interface RunResult {
  code: number;
  reason: string;
}

export class Supervisor extends EventEmitter {
  readonly instances: ProcessInstance[] = [];
  private readonly launcher: Launcher;
  private readonly clock: Clock;
  private readonly hub: OutputHub | null;
  private readonly log: Logger;
  private readonly signal: SendSignal;
  private readonly narrator: Narrator;
  private readonly beforeStop: SupervisorDeps['beforeStop'] | null;
  private readonly spawned = new Set<number>();
  private readonly pgids = new Set<number>();
  private shuttingDown = false;
  /** stopAll is under way (a restart): stops are not one process's administrative stop. */
  private stoppingAll = false;
  private gate: StartGate | null = null;
  /** Autostart instances held back by the start gate, with what they wait for. */
  private readonly waiting = new Map<ProcessInstance, string>();
  /** The same, by program: a change releases only the held-back instances of the changed program's dependents. */
  private readonly waitingByProgram = new Map<string, Set<ProcessInstance>>();
  /** Programs whose instances changed while startWaiting was busy (it works through them in order). */
  private readonly pendingPrograms = new Set<string>();
  private pendingAll = false;
  private releasing = false;
  /** instances by program, and as a set; rebuilt when instances was changed other than by add(). */
  private byProgram: Map<string, ProcessInstance[]> | null = null;
  private members = new Set<ProcessInstance>();
  private programsIndexed: ProgramSpec[] | null = null;
  private programsByName = new Map<string, ProgramSpec>();
  private programsLength = 0;
  private ending: RunResult | null = null;
  private resolveDone!: (r: RunResult) => void;
  /** Resolves once the run is over and every process is stopped. */
  readonly done: Promise<RunResult>;

  constructor(
    public run: RunSpec,
    deps: SupervisorDeps,
  ) {
    super();
    this.launcher = deps.launcher ?? new ProcessLauncher(run);
    this.clock = deps.clock ?? realClock;
    this.hub = deps.hub ?? null;
    this.log = deps.log;
    this.signal = deps.signal ?? sendSignal;
    this.narrator = deps.narrator ?? (run.supervisordMode ? narrateSupervisord : narrateProcinit);
    this.beforeStop = deps.beforeStop ?? null;
    this.done = new Promise((r) => (this.resolveDone = r));
    for (const program of run.programs) for (const spec of program.instances) this.add(spec);
    this.hub?.formatter.setNames(this.instances.map((i) => i.name));
  }

  get stopping(): boolean {
    return this.shuttingDown;
  }

  /** Pids procinit spawned and libuv/node-pty will reap themselves (the reaper skips them). */
  ownPids(): Set<number> {
    return this.spawned;
  }

  private hooks(): InstanceHooks {
    return {
      onState: (inst, from, to) => {
        if (to === 'STOPPED' || to === 'EXITED' || to === 'BACKOFF') this.cleanupGroup(inst);
        this.emit('state', inst, from, to);
        if (this.waiting.size > 0) this.startWaiting(inst);
      },
      onSpawn: (inst, child) => this.onSpawn(inst, child),
      onExit: (inst, info, _expected, willRestart) => {
        this.decide(decideOnExit(inst, info, willRestart));
        // a restart is about to be spawned: the run is not idle
        if (!this.shuttingDown && !willRestart) this.decide(decideWhenIdle(this.instances, this.run));
      },
      onFatal: (inst) => {
        this.decide(decideOnFatal(this.run, inst));
        if (!this.shuttingDown) this.decide(decideWhenIdle(this.instances, this.run));
      },
      restartsAllowed: () => !this.shuttingDown,
      report: (inst, h) => this.report(inst, h),
    };
  }

  /** One line in procinit's log, in the run's dialect. */
  private report(inst: ProcessInstance, h: Happening): void {
    // a stop asked for one process (control socket, XML-RPC), not by a shutdown or restart of everything
    if (h.kind === 'stopping' && !this.shuttingDown && !this.stoppingAll) {
      h = { ...h, administrative: true };
      this.reportStopWaits(inst);
    }
    const line = this.narrator(inst.name, h, { text: inst.spec.command, argv0: inst.spec.argv?.[0] ?? null });
    for (const l of line === null ? [] : Array.isArray(line) ? line : [line]) this.log[l.level]?.(l.msg);
  }

  /** supervisord's stop_report: while an administrative stop waits, say so again every STOP_REPORT_MS. */
  private reportStopWaits(inst: ProcessInstance): void {
    const again = (): void => {
      if (inst.state !== 'STOPPING' || this.shuttingDown || this.stoppingAll || !this.instances.includes(inst)) return;
      this.report(inst, { kind: 'still-stopping' });
      this.clock.after(STOP_REPORT_MS, again);
    };
    this.clock.after(STOP_REPORT_MS, again);
  }

  add(spec: ProcessSpec): ProcessInstance {
    const inst = new ProcessInstance(spec, this.launcher, this.clock, this.hooks(), this.signal);
    const indexed = this.byProgram !== null && this.members.size === this.instances.length;
    this.instances.push(inst);
    if (indexed) this.index(inst);
    return inst;
  }

  /** Replace the instances (reload): the same array object, new members and order. */
  setInstances(list: readonly ProcessInstance[]): void {
    this.instances.length = 0;
    for (const inst of list) this.instances.push(inst); // no spread: a call's arguments live on the stack
    this.byProgram = null;
  }

  /** Take an instance out of the run (scale down, removeProcessGroup). */
  removeInstance(inst: ProcessInstance): void {
    const at = this.instances.indexOf(inst);
    if (at >= 0) this.instances.splice(at, 1);
    this.byProgram = null;
  }

  /** The instances of one program, from an index (not a scan of every instance). */
  instancesOf(program: string): readonly ProcessInstance[] {
    this.indexed();
    return this.byProgram!.get(program) ?? [];
  }

  /** Whether inst is still one of the run's instances. */
  has(inst: ProcessInstance): boolean {
    this.indexed();
    return this.members.has(inst);
  }

  private indexed(): void {
    // a length that differs means instances was changed directly: rebuild
    if (this.byProgram !== null && this.members.size === this.instances.length) return;
    this.byProgram = new Map();
    this.members = new Set();
    for (const inst of this.instances) this.index(inst);
  }

  private index(inst: ProcessInstance): void {
    const list = this.byProgram!.get(inst.spec.program);
    if (list === undefined) this.byProgram!.set(inst.spec.program, [inst]);
    else list.push(inst);
    this.members.add(inst);
  }

  private onSpawn(inst: ProcessInstance, child: LaunchedChild): void {
    // observers (src/health) first: what they register on the child's exit runs before the instance's own
    this.emit('spawn', inst, child);
    if (!child.reapedByProcinit) this.spawned.add(child.pid);
    this.pgids.add(child.pid);
    child.onExit(() => this.spawned.delete(child.pid));
    this.report(inst, { kind: 'spawned', pid: child.pid });
    if (!this.hub) return;
    const spec = inst.spec;
    if (child.pty) {
      const chunker = new LineChunker(DEFAULT_MAX_LINE, true);
      const pty = child.pty;
      const source = { pause: () => pty.pause(), resume: () => pty.resume() };
      this.hub.addSource(source);
      pty.onData((d) => this.hub!.feed(inst.name, 'stdout', spec.stdoutLog, chunker, typeof d === 'string' ? Buffer.from(d) : d));
      child.onExit(() => {
        this.hub!.deliver(inst.name, 'stdout', spec.stdoutLog, chunker.flush());
        this.hub!.removeSource(source);
      });
      return;
    }
    const closed = (channel: 'stdout' | 'stderr', pipe: OutputPipe) => (): void => this.report(inst, pipeClosed(inst, channel, pipe));
    const pipes = [
      child.stdout && this.hub.attachPipe(inst.name, 'stdout', child.stdout, spec.stdoutLog, closed('stdout', child.stdout)),
      child.stderr && this.hub.attachPipe(inst.name, spec.redirect_stderr ? 'stdout' : 'stderr', child.stderr, spec.redirect_stderr ? spec.stdoutLog : spec.stderrLog, closed('stderr', child.stderr)),
    ];
    // registered before the instance's own exit callback: a program's last lines come before its exit line
    child.onExit(() => pipes.forEach((p) => p?.drain()));
  }

  /** When a group leader is gone, what is left of its group dies with it (a grandchild in its group). */
  private cleanupGroup(inst: ProcessInstance): void {
    const pgid = inst.lastPgid;
    if (pgid === null || !this.pgids.has(pgid)) return;
    // a stopped leader's group keeps its grace until stopwaitsecs: the instance kills what is left then
    if (inst.groupInGrace === pgid) return;
    this.pgids.delete(pgid);
    if (inst.spec.stopasgroup || inst.spec.killasgroup) this.signal(pgid, 'KILL', true);
  }

  /** Order starts and stops beyond priority (set before start()). */
  setStartGate(gate: StartGate): void {
    this.gate = gate;
  }

  /**
   * Start every autostart instance in the run's order (the config readers sort by priority, as supervisord);
   * those the start gate holds back start as soon as what they wait for holds (startWaiting).
   */
  start(): void {
    const memo: DependencyMemo = new Map();
    let autostart = 0;
    for (const inst of [...this.instances]) {
      if (!inst.spec.autostart || this.shuttingDown) continue;
      autostart += 1;
      const reason = this.gate?.waitingFor(inst, memo) ?? null;
      if (reason === null) {
        inst.start();
        forget(memo, inst.spec.program);
      } else {
        this.hold(inst, reason);
        this.log.info(`${inst.name} waits for ${reason}`);
      }
    }
    if (autostart === 0) this.log.warn('no process to start');
  }

  private hold(inst: ProcessInstance, reason: string): void {
    this.waiting.set(inst, reason);
    const program = inst.spec.program;
    const set = this.waitingByProgram.get(program);
    if (set === undefined) this.waitingByProgram.set(program, new Set([inst]));
    else set.add(inst);
  }

  private unhold(inst: ProcessInstance): void {
    this.waiting.delete(inst);
    const set = this.waitingByProgram.get(inst.spec.program);
    set?.delete(inst);
    if (set?.size === 0) this.waitingByProgram.delete(inst.spec.program);
  }

  /**
   * Start the held-back instances whose dependencies now hold (called on every state or readiness change).
   * changed: the instance that changed; only the held-back instances of its program's dependents are asked
   * again (all of them without it). Never recursive: a start it makes changes a state, which queues that
   * program here, and the outer pass works through the queue (a chain of 100,000 would overflow the stack).
   */
  startWaiting(changed?: ProcessInstance): void {
    if (this.shuttingDown || !this.gate) return;
    if (changed === undefined || !this.gate.dependents) this.pendingAll = true;
    else this.pendingPrograms.add(changed.spec.program);
    if (this.releasing) return;
    this.releasing = true;
    try {
      while (!this.shuttingDown && (this.pendingAll || this.pendingPrograms.size > 0)) {
        const memo: DependencyMemo = new Map();
        if (this.pendingAll) {
          this.pendingAll = false;
          this.pendingPrograms.clear();
          for (const inst of [...this.waiting.keys()]) this.release(inst, memo);
          continue;
        }
        const program = this.pendingPrograms.values().next().value as string;
        this.pendingPrograms.delete(program);
        for (const dependent of this.gate.dependents!(program)) {
          const held = this.waitingByProgram.get(dependent);
          if (held !== undefined) for (const inst of [...held]) this.release(inst, memo);
        }
      }
    } finally {
      this.releasing = false;
    }
  }

  private release(inst: ProcessInstance, memo: DependencyMemo): void {
    const was = this.waiting.get(inst);
    if (was === undefined || this.shuttingDown) return;
    if (!this.has(inst)) {
      this.unhold(inst);
      return;
    }
    const reason = this.gate!.waitingFor(inst, memo);
    if (reason === null) {
      this.unhold(inst);
      this.log.info(`${inst.name}: ${was} holds, starting`);
      inst.start();
      forget(memo, inst.spec.program);
    } else if (reason !== was) {
      this.waiting.set(inst, reason);
      this.log.info(`${inst.name} waits for ${reason}`);
    }
  }

  /** What a held-back instance waits for, or null. */
  waitingFor(inst: ProcessInstance): string | null {
    return this.waiting.get(inst) ?? null;
  }

  /**
   * Restart an instance for health's sake (failed liveness/startup probe, missed watchdog): logged with the
   * reason, counted, and done through the state machine (stop, then start), unless the run is ending.
   */
  async restart(inst: ProcessInstance, reason: string): Promise<void> {
    if (this.shuttingDown || (inst.state !== 'RUNNING' && inst.state !== 'STARTING')) return;
    inst.healthRestarts += 1;
    this.log.warn(`${inst.name} restarting: ${reason}`);
    this.emit('health-restart', inst, reason);
    await inst.stop();
    if (!this.shuttingDown && this.has(inst)) {
      inst.restarts += 1;
      inst.start();
    }
  }

  private decide(d: RunDecision): void {
    if (!d.end || this.shuttingDown) return;
    this.log.info(`${d.reason}: stopping everything`);
    void this.shutdown(d.reason, d.code);
  }

  /**
   * Stop everything and end the run. code: the exit code decided by policy; when null (asked for by a
   * signal or the socket), 0 if every process stopped within its grace, 1 if any needed SIGKILL.
   */
  async shutdown(reason: string, code: number | null = null): Promise<RunResult> {
    if (this.shuttingDown) return this.done;
    this.shuttingDown = true;
    this.emit('shutdown', reason);
    await this.stopEach();
    this.killLeftovers();
    const killed = this.instances.some((i) => i.killed);
    const result = { code: code ?? (killed ? 1 : 0), reason };
    this.ending = result;
    for (const inst of this.instances) inst.dispose();
    this.resolveDone(result);
    return result;
  }

  /** Stop every process in reverse priority order without ending the run (supervisord's restart). */
  async stopAll(): Promise<void> {
    this.stoppingAll = true;
    try {
      await this.stopEach();
    } finally {
      this.stoppingAll = false;
    }
  }

  /** Start every autostart instance again, in start order and through the start gate (after stopAll). */
  startAll(): void {
    this.start();
  }

  /**
   * Stop in reverse start order: dependents before what they depend on (the gate's rank), then reverse
   * priority; each level stops together, the next waits for it.
   */
  private async stopEach(): Promise<void> {
    this.waiting.clear();
    this.waitingByProgram.clear();
    // grouped in one pass (a chain of 100,000 programs has 100,000 levels: filtering per level was quadratic)
    const levels = new Map<string, { rank: number; priority: number; members: ProcessInstance[] }>();
    for (const i of this.instances) {
      const rank = this.gate?.stopRank(i) ?? 0;
      const key = `${rank}/${i.spec.priority}`;
      const level = levels.get(key);
      if (level === undefined) levels.set(key, { rank, priority: i.spec.priority, members: [i] });
      else level.members.push(i);
    }
    const ordered = [...levels.values()].sort((a, b) => b.rank - a.rank || b.priority - a.priority);
    for (const { members } of ordered) {
      if (this.beforeStop) await this.beforeStop(members).catch(() => undefined);
      await Promise.all(members.map((i) => i.stop()));
    }
  }

  /** A second Ctrl-C: SIGKILL whatever is still stopping. */
  killAll(): void {
    for (const inst of this.instances) inst.kill();
  }

  /** Nothing we started may outlive us: SIGKILL every process group that may still have members. */
  private killLeftovers(): void {
    for (const pgid of this.pgids) this.signal(pgid, 'KILL', true);
  }

  get result(): RunResult | null {
    return this.ending;
  }

  /** Forward a signal to every live process (group where configured). */
  forward(signal: string): void {
    for (const inst of this.instances) inst.sendSignal(signal);
  }

  /** Instances selected by name (web.1), type/program (web), `group:*`, `group:name` or `all`. */
  select(selectors: string[]): { found: ProcessInstance[]; unknown: string[] } {
    if (selectors.length === 0 || selectors.includes('all')) return { found: [...this.instances], unknown: [] };
    const found = new Set<ProcessInstance>();
    const unknown: string[] = [];
    for (const sel of selectors) {
      const matches = this.instances.filter((i) => matchesSelector(i.spec, sel));
      if (matches.length === 0) unknown.push(sel);
      matches.forEach((m) => found.add(m));
    }
    return { found: this.instances.filter((i) => found.has(i)), unknown };
  }

  /**
   * A program by name, from an index (status asks it for each instance: a scan of every program made a
   * status of 5,000 programs quadratic, 50 ms). Rebuilt when run.programs was replaced or changed length.
   */
  program(name: string): ProgramSpec | undefined {
    const programs = this.run.programs;
    if (this.programsIndexed !== programs || this.programsLength !== programs.length) {
      this.programsIndexed = programs;
      this.programsLength = programs.length;
      this.programsByName = new Map();
      for (const p of programs) if (!this.programsByName.has(p.name)) this.programsByName.set(p.name, p);
    }
    return this.programsByName.get(name);
  }

  /** Change the number of instances of a program: start new ones, stop surplus ones highest first. */
  async scale(name: string, count: number): Promise<{ started: string[]; stopped: string[] }> {
    const program = this.program(name);
    if (!program) throw new Error(`no such process type '${name}'`);
    const current = this.instances.filter((i) => i.spec.program === name).sort((a, b) => a.spec.instance - b.spec.instance);
    const started: string[] = [];
    const stopped: string[] = [];
    for (let k = current.length; k < count; k++) {
      const spec = program.instantiate(program.firstInstance + k);
      const inst = this.add(spec);
      this.hub?.formatter.setNames([inst.name]);
      if (!this.shuttingDown) inst.start();
      started.push(inst.name);
    }
    const surplus = current.slice(count).reverse();
    for (const inst of surplus) {
      await inst.stop();
      this.removeInstance(inst);
      stopped.push(inst.name);
    }
    program.instances = this.instances.filter((i) => i.spec.program === name).map((i) => i.spec);
    return { started, stopped };
  }

  /** Counts for status: how many are in each state. */
  counts(): Record<ProcessState, number> {
    const out = { STOPPED: 0, STARTING: 0, RUNNING: 0, BACKOFF: 0, STOPPING: 0, EXITED: 0, FATAL: 0 };
    for (const i of this.instances) out[i.state]++;
    return out;
  }
}

export function matchesSelector(spec: ProcessSpec, sel: string): boolean {
  if (sel === 'all') return true;
  const colon = sel.indexOf(':');
  if (colon >= 0) {
    const group = sel.slice(0, colon);
    const name = sel.slice(colon + 1);
    return spec.group === group && (name === '*' || name === '' || spec.name === name || spec.program === name);
  }
  return spec.name === sel || spec.program === sel || spec.group === sel;
}
