/**
 * Apply a re-read config to the running supervisor, as `supervisorctl update` does: start added processes,
 * stop removed ones, restart changed ones, leave unchanged ones untouched.
 *
 * Processes are matched by name (web.1, worker_00). Two specs are the same process when everything that
 * shapes the running process is equal: the spec without its source position, plus what it inherits from
 * the run (environment from .env/-e/[supervisord] environment, working directory, umask, format).
 * So an edit of .env restarts every process that sees it; moving a line in the file restarts nothing.
 *
 * The RunSpec object is updated in place: the launcher holds the same object, so new and restarted
 * processes get the new run-wide environment.
 */
import { allProcesses, type ProcessSpec, type ProgramSpec, type RunSpec } from '../config/model.js';
import type { ProcessInstance } from './instance.js';
import { drain, drainSliced, slicer, type Steps } from '../config/steps.js';
import type { Supervisor } from './supervisor.js';

export interface ReloadPlan {
  added: ProcessSpec[];
  removed: ProcessInstance[];
  changed: Array<{ instance: ProcessInstance; spec: ProcessSpec }>;
  unchanged: ProcessInstance[];
}

/** What `procinit reload` answers (instance names). */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

/** JSON with sorted keys: equal values give equal strings. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The spec as the launcher will see it, without where it was written. */
export function effectiveSpec(run: RunSpec, spec: ProcessSpec): Record<string, unknown> {
  const { source: _source, ...rest } = spec;
  return {
    ...rest,
    environment: { ...run.environment, ...spec.environment },
    directory: spec.directory ?? run.root,
    umask: spec.umask ?? run.umask,
    format: run.format,
  };
}

export function sameProcess(oldRun: RunSpec, a: ProcessSpec, newRun: RunSpec, b: ProcessSpec): boolean {
  return stableStringify(effectiveSpec(oldRun, a)) === stableStringify(effectiveSpec(newRun, b));
}

/** Compare the running instances (of oldRun) with the processes of newRun. Pure. */
export function planReload(oldRun: RunSpec, instances: readonly ProcessInstance[], newRun: RunSpec): ReloadPlan {
  return drain(planSteps(oldRun, instances, newRun));
}

/** planReload as steps, one per process (comparing two specs is JSON work: thousands of them take a while). */
function* planSteps(oldRun: RunSpec, instances: readonly ProcessInstance[], newRun: RunSpec): Steps<ReloadPlan> {
  const wanted = new Map(allProcesses(newRun).map((s) => [s.name, s]));
  const plan: ReloadPlan = { added: [], removed: [], changed: [], unchanged: [] };
  const seen = new Set<string>();
  for (const inst of instances) {
    const spec = wanted.get(inst.name);
    seen.add(inst.name);
    if (!spec) plan.removed.push(inst);
    else if (sameProcess(oldRun, inst.spec, newRun, spec)) plan.unchanged.push(inst);
    else plan.changed.push({ instance: inst, spec });
    yield;
  }
  for (const spec of wanted.values()) if (!seen.has(spec.name)) plan.added.push(spec);
  return plan;
}

/**
 * Instance counts set at run time by `procinit scale` survive a reload, unless the reloaded config
 * changes that program's own count (numprocs, or the formation) compared with the config before.
 */
export class FormationMemory {
  private configCounts = new Map<string, number>();
  private readonly scaled = new Map<string, number>();

  constructor(run: RunSpec) {
    this.configCounts = counts(run);
  }

  noteScale(program: string, count: number): void {
    this.scaled.set(program, count);
  }

  /** newRun's programs that carryOver may re-instantiate (scaled at run time). */
  scaledIn(newRun: RunSpec): ProgramSpec[] {
    return newRun.programs.filter((p) => this.scaled.has(p.name));
  }

  /** Re-instantiate newRun's programs with their run-time counts where those still apply. */
  carryOver(newRun: RunSpec): void {
    const fresh = counts(newRun);
    for (const program of newRun.programs) {
      const n = this.scaled.get(program.name);
      if (n === undefined) continue;
      if (this.configCounts.get(program.name) !== fresh.get(program.name)) {
        this.scaled.delete(program.name);
        continue;
      }
      program.instances = Array.from({ length: n }, (_, k) => program.instantiate(program.firstInstance + k));
    }
    for (const name of [...this.scaled.keys()]) if (!fresh.has(name)) this.scaled.delete(name);
    this.configCounts = fresh;
  }
}

function counts(run: RunSpec): Map<string, number> {
  return new Map(run.programs.map((p) => [p.name, p.instances.length]));
}

export interface ApplyOptions {
  /** New process names appear on the multiplexed output: align their prefixes. */
  setNames?(names: string[]): void;
  /** Start the added and changed processes (default); false when the caller starts everything itself. */
  start?: boolean;
  /**
   * Groups that are gone and groups that are new, once the run holds the new config and before anything
   * starts (supervisord's PROCESS_GROUP_REMOVED / PROCESS_GROUP_ADDED, as its `update` raises them).
   */
  groupsChanged?(removed: string[], added: string[]): void;
}

/**
 * Stop removed and changed processes, switch the run to newRun, start changed and added ones. Every step
 * that grows with the number of processes runs in slices of about SLICE_MS (one deadline for the whole
 * apply, checked after each process): the event loop keeps turning meanwhile, also for 5,000 added.
 */
export async function applyReload(supervisor: Supervisor, newRun: RunSpec, opts: ApplyOptions = {}): Promise<ReloadSummary> {
  const slice = slicer();
  const oldRun = supervisor.run;
  const plan = await drainSliced(planSteps(oldRun, [...supervisor.instances], newRun));
  const groupsBefore = new Set<string>();
  for (const i of supervisor.instances) groupsBefore.add(i.spec.group);
  const leaving = new Set([...plan.removed, ...plan.changed.map((c) => c.instance)]);
  await Promise.all([...leaving].map((i) => i.stop()));
  if (leaving.size > 0) {
    supervisor.setInstances(supervisor.instances.filter((i) => !leaving.has(i)));
  }

  const newProcesses = allProcesses(newRun);
  await slice();
  const specs = new Map<string, ProcessSpec>();
  for (const s of newProcesses) {
    specs.set(s.name, s);
    await slice();
  }
  for (const inst of plan.unchanged) inst.spec = specs.get(inst.name) ?? inst.spec;
  const socketPath = oldRun.socketPath; // the socket stays where it is until procinit restarts
  Object.assign(oldRun, newRun, { socketPath });

  const arriving: ProcessInstance[] = [];
  for (const spec of [...plan.changed.map((c) => c.spec), ...plan.added]) {
    arriving.push(supervisor.add(spec));
    await slice();
  }
  // the new run's order (a stable sort on the position of each name; names it lacks last)
  const order = new Map<string, number>();
  newProcesses.forEach((s, i) => order.set(s.name, i));
  const keyed: Array<{ at: number; inst: ProcessInstance }> = [];
  for (const inst of supervisor.instances) {
    keyed.push({ at: order.get(inst.name) ?? Infinity, inst });
    await slice();
  }
  keyed.sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1));
  supervisor.setInstances(keyed.map((k) => k.inst));
  await slice();
  // prefixes: the names in pieces (the formatter keeps the widest and gives each new name a colour)
  const PIECE = 100;
  if (opts.setNames) {
    for (let i = 0; i < arriving.length; i += PIECE) {
      opts.setNames(arriving.slice(i, i + PIECE).map((a) => a.name));
      await slice();
    }
  }
  if (opts.groupsChanged) {
    const groupsAfter = new Set<string>();
    for (const i of supervisor.instances) groupsAfter.add(i.spec.group);
    const removed = [...groupsBefore].filter((g) => !groupsAfter.has(g));
    const added = [...groupsAfter].filter((g) => !groupsBefore.has(g));
    // in pieces, the event loop turning between them: 5,000 added groups are 5,000 events to publish
    for (let i = 0; i < removed.length; i += PIECE) {
      opts.groupsChanged(removed.slice(i, i + PIECE), []);
      await slice();
    }
    for (let i = 0; i < added.length; i += PIECE) {
      opts.groupsChanged([], added.slice(i, i + PIECE));
      await slice();
    }
  }

  const startable = arriving.filter((i) => i.spec.autostart).sort((a, b) => a.spec.priority - b.spec.priority);
  if (opts.start !== false) {
    for (const inst of startable) {
      if (!supervisor.stopping) inst.start();
      await slice();
    }
  }

  return {
    added: plan.added.map((s) => s.name),
    removed: plan.removed.map((i) => i.name),
    changed: plan.changed.map((c) => c.spec.name),
    unchanged: plan.unchanged.map((i) => i.name),
  };
}
