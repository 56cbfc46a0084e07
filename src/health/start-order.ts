/**
 * depends_on at run time, with compose's conditions: an autostart instance is held back until every
 * instance of each program it depends on is RUNNING (`started`), RUNNING and READY (`ready`), or has exited
 * with code 0 (`completed_successfully`). Only the first start waits; restarts do not. Stops go the other
 * way: dependents first (a higher rank stops earlier), then priority as before.
 */
import type { DependencyCondition, ProgramSpec, RunSpec } from '../config/model.js';
import type { ProcessInstance } from '../supervisor/instance.js';
import type { DependencyMemo, StartGate } from '../supervisor/supervisor.js';

/** Where the gate finds a program's instances (the Supervisor keeps them indexed by program). */
export interface InstancesByProgram {
  instancesOf(program: string): readonly ProcessInstance[];
}

const NO_NAMES: readonly string[] = [];

/**
 * Every question is answered from indexes, never by scanning all instances or all programs: a chain of
 * 100,000 programs starts in linear time (each state change looks only at the dependents of its program,
 * and each dependency's instances once per change).
 */
export class DependencyGate implements StartGate {
  private known: ProgramSpec[] | null = null;
  private byName = new Map<string, ProgramSpec>();
  private readonly ranks = new Map<string, number>();
  /** program -> the programs that depend on it */
  private dependentsOf = new Map<string, string[]>();
  /** programs that others wait on to complete successfully */
  private oneShots = new Set<string>();

  /** run is read at each question: a reload replaces its programs in place. */
  constructor(
    private readonly run: RunSpec,
    private readonly instances: InstancesByProgram,
  ) {}

  /** The run's programs by name, their dependents and stop ranks, refreshed when a reload replaced them. */
  private get programs(): Map<string, ProgramSpec> {
    if (this.known !== this.run.programs) {
      this.known = this.run.programs;
      this.byName = new Map(this.known.map((p) => [p.name, p]));
      this.dependentsOf = new Map();
      this.oneShots = new Set();
      for (const p of this.known) {
        for (const d of p.health.dependsOn) {
          const list = this.dependentsOf.get(d.program);
          if (list === undefined) this.dependentsOf.set(d.program, [p.name]);
          else if (list[list.length - 1] !== p.name) list.push(p.name);
          if (d.condition === 'completed_successfully') this.oneShots.add(d.program);
        }
      }
      this.ranks.clear();
      for (const p of this.known) this.rank(p.name);
    }
    return this.byName;
  }

  /** Programs others wait on to complete: their successful exit is their job, not the end of the run. */
  isOneShotDependency(program: string): boolean {
    void this.programs;
    return this.oneShots.has(program);
  }

  /** The programs with a depends_on on this one: only their waiting instances can be released by its change. */
  dependents(program: string): readonly string[] {
    void this.programs;
    return this.dependentsOf.get(program) ?? NO_NAMES;
  }

  /**
   * memo: what each dependency (program and condition) answers, kept by the caller for as long as no
   * instance of that program changed (one pass of Supervisor.startWaiting): n waiting instances of one
   * program cost one look at the instances they wait for, not n.
   */
  waitingFor(inst: ProcessInstance, memo?: DependencyMemo): string | null {
    const program = this.programs.get(inst.spec.program);
    if (!program) return null;
    for (const dep of program.health.dependsOn) {
      let known = memo?.get(dep.program);
      let reason = known?.get(dep.condition);
      if (reason === undefined) {
        reason = this.dependencyWait(dep.program, dep.condition);
        if (memo !== undefined) {
          if (known === undefined) memo.set(dep.program, (known = new Map()));
          known.set(dep.condition, reason);
        }
      }
      if (reason !== null) return reason;
    }
    return null;
  }

  /** null when every instance of program meets condition, else what a dependent waits for. */
  private dependencyWait(name: string, condition: DependencyCondition): string | null {
    const others = this.instances.instancesOf(name);
    const holds = others.every((i) =>
      condition === 'started' ? i.state === 'RUNNING' || (i.state === 'EXITED' && i.startedAt !== null)
      : condition === 'ready' ? i.ready
      : i.state === 'EXITED' && i.lastExit?.code === 0,
    );
    if (holds) return null;
    const what = `${name} ${condition === 'completed_successfully' ? 'to complete successfully' : `to be ${condition}`}`;
    const idle = others.some((i) => !i.spec.autostart && i.state === 'STOPPED' && i.startedAt === null);
    return idle ? `${what} (autostart=false: procinit start ${name})` : what;
  }

  stopRank(inst: ProcessInstance): number {
    void this.programs; // refreshes the ranks after a reload
    return this.ranks.get(inst.spec.program) ?? 0;
  }

  /**
   * Length of the longest depends_on chain below a program (the config has checked there is no cycle; one
   * reached anyway counts 0). Iterative, with an explicit stack: a chain of 100,000 programs would overflow
   * the call stack.
   */
  private rank(start: string): void {
    if (this.ranks.has(start)) return;
    const onPath = new Set<string>([start]);
    const path: string[] = [start];
    const next: number[] = [0];
    const best: number[] = [0]; // per path entry: 1 + the highest rank of its dependencies seen so far
    while (path.length > 0) {
      const top = path.length - 1;
      const deps = this.byName.get(path[top])?.health.dependsOn ?? [];
      if (next[top] === deps.length) {
        const r = best[top];
        this.ranks.set(path[top], r);
        onPath.delete(path[top]);
        path.pop();
        next.pop();
        best.pop();
        if (path.length > 0) best[path.length - 1] = Math.max(best[path.length - 1], r + 1);
        continue;
      }
      const dep = deps[next[top]++].program;
      if (!this.byName.has(dep)) {
        best[top] = Math.max(best[top], 1);
        continue;
      }
      const known = this.ranks.get(dep);
      if (known !== undefined) best[top] = Math.max(best[top], known + 1);
      else if (onPath.has(dep)) best[top] = Math.max(best[top], 1);
      else {
        onPath.add(dep);
        path.push(dep);
        next.push(0);
        best.push(0);
      }
    }
  }
}
