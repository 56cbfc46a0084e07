/**
 * Resource limits per instance: enforced by the kernel where procinit can make child cgroups (one cgroup
 * per instance, joined by the child before it execs), else by sampling the RSS of each process tree once a
 * period and killing a tree over its limit (pm2's max_memory_restart). Either way an instance over its
 * memory limit is killed, `web.1 killed: memory limit 64M exceeded` is logged, and its exit goes through
 * the normal state machine, so the restart policy decides what happens next: no state of its own.
 * It also measures every instance's CPU % and memory for `status --json` and `procinit top`.
 */
import type { ProcessSpec } from '../../config/model.js';
import type { ProcessInstance } from '../../supervisor/instance.js';
import type { ChildPlacement, LaunchedChild, PlacementTicket } from '../../supervisor/spawn.js';
import { closeFds, InstanceCgroup, removeHostParents, type Detection } from './cgroup.js';
import { hasLimits, type ResourceLimits } from './limits.js';
import { isRunning, processTree, usageOf } from './proc-sample.js';
import { formatBytes } from './size.js';

export type LimitMode = 'cgroup-v2' | 'cgroup-v1' | 'rss';

/** One instance's use and limits, as `status --json` carries them (keys in docs/protocol.md). */
export interface ResourceUsage {
  /** How its limits are enforced; null when it has none. */
  limit_mode: LimitMode | null;
  /** Memory in use, bytes: the cgroup's count in cgroup mode, else the RSS summed over the tree. */
  memory: number | null;
  memory_limit: number | null;
  /** CPU over the last sampling period, in % of one core (200 = two cores busy). */
  cpu_percent: number | null;
  /** Cores (0.5 = half a core). */
  cpu_limit: number | null;
  /** Kills for going over the memory limit since procinit started. */
  memory_kills: number;
}

export interface MonitorDeps {
  /** The limits of an instance now (from the model). */
  limitsOf(spec: ProcessSpec): ResourceLimits;
  /** Find out whether cgroups can be used: called once, when the first instance with limits starts. */
  detect(): Detection;
  log(level: 'info' | 'warn' | 'error', msg: string): void;
  /** kill(2): errors (ESRCH) are ignored by the caller's implementation. */
  kill(pid: number, signal: 'KILL', group: boolean): void;
  periodMs: number;
  now(): number;
  /** Where /proc is (a test may point elsewhere). */
  proc?: string;
}

interface Tracked {
  inst: ProcessInstance;
  child: LaunchedChild;
  limits: ResourceLimits;
  cgroup: InstanceCgroup | null;
  lastCpu: number | null;
  lastAt: number;
  cpuPercent: number | null;
  memory: number | null;
  /** This child's memory kill was reported already. */
  reported: boolean;
}

/** How long one slice of a sampling round may hold the event loop, ms. */
const SAMPLE_SLICE_MS = 5;

export class LimitMonitor {
  private detection: Detection | null = null;
  private readonly cgroups = new Map<string, InstanceCgroup>();
  private readonly tracked = new Map<ProcessInstance, Tracked>();
  private readonly kills = new Map<string, number>();
  private readonly warned = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  /** Until when sampling runs for someone watching (status, top) though no instance has limits. */
  private watchedUntil = 0;
  private closed = false;

  constructor(private readonly deps: MonitorDeps) {}

  /** The mode instances with limits get: cgroup v2/v1 once detection succeeded, else rss; null before any. */
  get mode(): LimitMode | null {
    if (!this.detection) return null;
    return this.detection.ok ? (this.detection.host.version === 2 ? 'cgroup-v2' : 'cgroup-v1') : 'rss';
  }

  /** One line for `status`: how limits are enforced here, or null when no instance has limits. */
  describeMode(): string | null {
    const d = this.detection;
    if (!d) return null;
    if (!d.ok) return `limits: RSS sampling every ${this.deps.periodMs / 1000}s (cgroups not usable: ${d.reason})`;
    const cpu = d.host.cpuParent ? 'memory and cpu' : 'memory (cpu not limited: no writable cpu controller)';
    return `limits: cgroup v${d.host.version}, ${cpu} enforced by the kernel`;
  }

  private host(): Detection {
    if (!this.detection) {
      this.detection = this.deps.detect();
      this.deps.log('info', this.describeMode()!);
    }
    return this.detection;
  }

  /** For the launcher: the cgroup an instance's child joins before it execs. */
  readonly placement: ChildPlacement = {
    prepare: (spec) => this.prepare(spec),
  };

  private prepare(spec: ProcessSpec): PlacementTicket | null {
    const limits = this.deps.limitsOf(spec);
    const existing = this.cgroups.get(spec.name);
    if (!hasLimits(limits) && !existing) return null;
    const d = this.host();
    if (!d.ok) {
      // rss mode: the sampler watches memory; nothing can hold CPU time back
      if (limits.cpu !== null) this.warnOnce(`${spec.name}:cpu`, `${spec.name}: cpu limit ${limits.cpu} not enforced: no cgroup can be made here (RSS mode limits memory only)`);
      return null;
    }
    let cg = existing;
    const err = cg ? cg.apply(limits) : null;
    if (!cg) {
      const made = InstanceCgroup.create(d.host, spec.name, limits);
      if (typeof made === 'string') return this.warnOnce(spec.name, `${spec.name}: limits not enforced by a cgroup, sampling its RSS instead: ${made}`);
      cg = made;
      this.cgroups.set(spec.name, cg);
    } else if (err !== null) {
      this.warnOnce(spec.name, `${spec.name}: cannot update its cgroup's limits: ${err}`);
    }
    if (limits.cpu !== null && !d.host.cpuParent) this.warnOnce(`${spec.name}:cpu`, `${spec.name}: cpu limit ${limits.cpu} not enforced: no writable cpu cgroup controller`);
    const fds = cg.openJoinFds();
    if (typeof fds === 'string') return this.warnOnce(spec.name, `${spec.name}: cannot join its cgroup, sampling its RSS instead: ${fds}`);
    cg.markStart();
    const group = cg;
    return {
      joinFds: fds,
      release: () => closeFds(fds),
      started: (pid, joined) => {
        if (joined) return;
        const e = group.adopt(pid);
        if (e !== null) this.warnOnce(`${spec.name}:adopt`, `${spec.name}: cannot move pid ${pid} into its cgroup: ${e}`);
      },
    };
  }

  private warnOnce(key: string, msg: string): null {
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.deps.log('warn', msg);
    }
    return null;
  }

  /** A child was spawned (the supervisor's 'spawn' event): watch it until it exits. */
  onSpawn(inst: ProcessInstance, child: LaunchedChild): void {
    if (child.pid <= 0 || this.closed) return;
    const limits = this.deps.limitsOf(inst.spec);
    const cgroup = this.cgroups.get(inst.name) ?? null;
    const t: Tracked = { inst, child, limits, cgroup, lastCpu: null, lastAt: this.deps.now(), cpuPercent: null, memory: null, reported: false };
    this.tracked.set(inst, t);
    // registered before the instance's own exit callback, so the reason comes before the exit line
    child.onExit(() => {
      if (this.tracked.get(inst) === t) this.tracked.delete(inst);
      if (t.cgroup && !t.reported && t.cgroup.oomKillsSinceStart() > 0) this.reportKill(t, 'the kernel killed it in its cgroup');
    });
    if (hasLimits(limits)) {
      this.host();
      this.ensureTimer();
    }
  }

  private reportKill(t: Tracked, how: string): void {
    t.reported = true;
    this.kills.set(t.inst.name, (this.kills.get(t.inst.name) ?? 0) + 1);
    const limit = t.limits.memoryBytes;
    this.deps.log('warn', `${t.inst.name} killed: memory limit ${limit === null ? '?' : formatBytes(limit)} exceeded (${how})`);
  }

  private ensureTimer(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.sample(), this.deps.periodMs);
    this.timer.unref();
  }

  /** Someone looks at CPU and memory: sample for the next minute even without limits. */
  watch(): void {
    const now = this.deps.now();
    this.watchedUntil = now + 60_000;
    // the first of the two samples a CPU % needs, for every instance without a recent one
    const due: Tracked[] = [];
    for (const t of this.tracked.values()) if (t.lastCpu === null || now - t.lastAt > 2 * this.deps.periodMs) due.push(t);
    this.sampleSliced(due, () => {});
    this.ensureTimer();
  }

  /** One sampling round: usage of every tracked instance; kill those over their limit. */
  sample(): void {
    if (this.round) return; // the last round is still going (thousands of instances)
    this.round = true;
    let anyLimits = false;
    const all = [...this.tracked.values()];
    for (const t of all) anyLimits ||= hasLimits(t.limits);
    this.sampleSliced(all, () => {
      this.round = false;
      if (!anyLimits && this.deps.now() > this.watchedUntil && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    });
  }

  /** A sampling round in progress (sampleSliced). */
  private round = false;

  /**
   * Sample these instances, SAMPLE_SLICE_MS of /proc reads at a time, the event loop turning in between
   * (each instance is a few /proc files: 1,000 running programs held the loop for 40-70 ms a round). A
   * small run is sampled at once, as before; an instance gone meanwhile is skipped.
   */
  private sampleSliced(list: readonly Tracked[], done: () => void): void {
    let i = 0;
    const step = (): void => {
      const deadline = performance.now() + SAMPLE_SLICE_MS;
      while (i < list.length) {
        const t = list[i++];
        if (this.closed) break;
        if (this.tracked.get(t.inst) === t) this.sampleOne(t, this.deps.now());
        if (performance.now() >= deadline && i < list.length) {
          setImmediate(step);
          return;
        }
      }
      done();
    };
    step();
  }

  private sampleOne(t: Tracked, now: number): void {
    const pids = t.cgroup ? t.cgroup.pids() : processTree(t.child.pid, this.deps.proc);
    const use = usageOf(pids.length > 0 ? pids : [t.child.pid], this.deps.proc);
    if (t.lastCpu !== null && now > t.lastAt) t.cpuPercent = Math.max(0, ((use.cpuSeconds - t.lastCpu) / ((now - t.lastAt) / 1000)) * 100);
    t.lastCpu = use.cpuSeconds;
    t.lastAt = now;
    t.memory = t.cgroup ? t.cgroup.memoryUsage() : use.rss;
    const limit = t.limits.memoryBytes;
    if (t.reported || limit === null) return;
    if (t.cgroup) {
      // the kernel killed one of its processes, maybe not the main one (v1 has no memory.oom.group):
      // the instance as a whole is over its limit, so all of it goes, and the policy restarts it
      // (when the main process itself was killed, its exit says so: it is gone or a zombie by now)
      if (t.cgroup.oomKillsSinceStart() > 0 && isRunning(t.child.pid, this.deps.proc)) {
        this.reportKill(t, 'the kernel killed a process in its cgroup');
        t.cgroup.killAll((pid) => this.deps.kill(pid, 'KILL', false));
      }
      return;
    }
    if (use.rss > limit) {
      this.reportKill(t, `RSS ${formatBytes(use.rss)} sampled`);
      this.deps.kill(t.child.pid, 'KILL', true);
      for (const pid of use.pids) this.deps.kill(pid, 'KILL', false);
    }
  }

  /** Use and limits of one instance for status. */
  usage(inst: ProcessInstance): ResourceUsage {
    const limits = this.deps.limitsOf(inst.spec);
    const t = this.tracked.get(inst);
    const limited = hasLimits(limits);
    if (limited) this.host();
    const cgroupHere = this.cgroups.has(inst.name) && this.mode !== 'rss';
    return {
      limit_mode: limited ? (cgroupHere ? this.mode : 'rss') : null,
      memory: t?.memory ?? null,
      memory_limit: limits.memoryBytes,
      cpu_percent: t?.cpuPercent === null || t?.cpuPercent === undefined ? null : Math.round(t.cpuPercent * 10) / 10,
      cpu_limit: limits.cpu,
      memory_kills: this.kills.get(inst.name) ?? 0,
    };
  }

  /** End of the run: kill what is left in the cgroups and remove them (retrying while the kernel lets go). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    let left = [...this.cgroups.values()];
    for (let attempt = 0; attempt < 20 && left.length > 0; attempt++) {
      for (const cg of left) cg.killAll((pid) => this.deps.kill(pid, 'KILL', false));
      left = left.filter((cg) => !cg.remove());
      if (left.length > 0) await new Promise((r) => setTimeout(r, 50));
    }
    for (const cg of left) this.deps.log('warn', `cannot remove cgroup ${cg.memoryDir}: processes are still in it`);
    if (this.detection?.ok) removeHostParents(this.detection.host);
    this.cgroups.clear();
  }
}
