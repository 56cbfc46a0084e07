/**
 * depends_on at run time, with compose's conditions: an autostart instance is held back until every
 * instance of each program it depends on is RUNNING (`started`), RUNNING and READY (`ready`), or has exited
 * with code 0 (`completed_successfully`). Only the first start waits; restarts do not. Stops go the other
 * way: dependents first (a higher rank stops earlier), then priority as before.
 */
import type { ProgramSpec, RunSpec } from '../config/model.js';
import type { ProcessInstance } from '../supervisor/instance.js';
import type { StartGate } from '../supervisor/supervisor.js';

export class DependencyGate implements StartGate {
  private known: ProgramSpec[] | null = null;
  private byName = new Map<string, ProgramSpec>();
  private readonly ranks = new Map<string, number>();

  /** run is read at each question: a reload replaces its programs in place. */
  constructor(
    private readonly run: RunSpec,
    private readonly instances: () => readonly ProcessInstance[],
  ) {}

  /** The run's programs by name, and their stop ranks, refreshed when a reload replaced them. */
  private get programs(): Map<string, ProgramSpec> {
    if (this.known !== this.run.programs) {
      this.known = this.run.programs;
      this.byName = new Map(this.known.map((p) => [p.name, p]));
      this.ranks.clear();
      for (const p of this.known) this.rank(p.name);
    }
    return this.byName;
  }

  /** Programs others wait on to complete: their successful exit is their job, not the end of the run. */
  isOneShotDependency(program: string): boolean {
    return [...this.programs.values()].some((p) => p.health.dependsOn.some((d) => d.program === program && d.condition === 'completed_successfully'));
  }

  waitingFor(inst: ProcessInstance): string | null {
    const program = this.programs.get(inst.spec.program);
    if (!program) return null;
    for (const dep of program.health.dependsOn) {
      const others = this.instances().filter((i) => i.spec.program === dep.program);
      const holds = others.every((i) =>
        dep.condition === 'started' ? i.state === 'RUNNING' || (i.state === 'EXITED' && i.startedAt !== null)
        : dep.condition === 'ready' ? i.ready
        : i.state === 'EXITED' && i.lastExit?.code === 0,
      );
      if (!holds) {
        const what = `${dep.program} ${dep.condition === 'completed_successfully' ? 'to complete successfully' : `to be ${dep.condition}`}`;
        const idle = others.some((i) => !i.spec.autostart && i.state === 'STOPPED' && i.startedAt === null);
        return idle ? `${what} (autostart=false: procinit start ${dep.program})` : what;
      }
    }
    return null;
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
