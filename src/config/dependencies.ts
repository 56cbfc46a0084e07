/**
 * Start order between programs (compose's depends_on): reading the conditions, and checking that every
 * dependency names a program of the run and that they form no cycle.
 */
import { ConfigError, oneLine, someNames } from './errors.js';
import type { DependencyCondition, DependencySpec, ProgramSpec, SourceRef } from './model.js';
import { describeValue } from './health-values.js';

const CONDITIONS: Record<string, DependencyCondition> = {
  started: 'started',
  service_started: 'started',
  ready: 'ready',
  healthy: 'ready',
  service_healthy: 'ready',
  completed_successfully: 'completed_successfully',
  service_completed_successfully: 'completed_successfully',
};

/**
 * `depends_on = ["db"]` (started), `{ db = "ready" }`, or compose's long form `{ db = { condition = "service_healthy" } }`.
 */
export function parseDependsOn(value: unknown, what: string, where: SourceRef): DependencySpec[] {
  const bad = (detail: string) => new ConfigError(where.file, where.line, `${what}: ${detail}`);
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((v) => {
        if (typeof v !== 'string') throw bad(`depends_on lists program names, not ${describeValue(v)}`);
        return [v, 'started'];
      })
    : typeof value === 'object' && value !== null
      ? Object.entries(value as Record<string, unknown>)
      : typeof value === 'string'
        ? [[value, 'started']]
        : (() => {
            throw bad('depends_on must be a list of names or a table of name = "condition"');
          })();
  return entries.map(([program, raw]) => {
    const c = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>).condition : raw;
    const condition = typeof c === 'string' ? CONDITIONS[c.trim()] : undefined;
    if (!condition) {
      throw bad(`depends_on ${oneLine(program)}: condition ${describeValue(c)} is not started, ready (healthy) or completed_successfully`);
    }
    return { program, condition, source: { ...where } };
  });
}

/** Every dependency names a program of the run (not itself), and they form no cycle. */
export function checkDependencies(programs: ProgramSpec[]): void {
  const byName = new Map(programs.map((p) => [p.name, p]));
  for (const p of programs) {
    for (const d of p.health.dependsOn) {
      if (!byName.has(d.program)) {
        throw new ConfigError(d.source.file, d.source.line, `${p.name} depends on '${oneLine(d.program)}', which is not a program here (known: ${someNames(byName.keys())})`);
      }
    }
  }
  // Depth-first search with an explicit stack (a chain of 100,000 programs would overflow the call stack);
  // a grey node reached again closes a cycle.
  const colour = new Map<string, 'grey' | 'black'>();
  const path: string[] = [];
  const next: number[] = []; // per path entry: the index of its next dependency to look at
  for (const p of programs) {
    if (colour.has(p.name)) continue;
    colour.set(p.name, 'grey');
    path.push(p.name);
    next.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const deps = byName.get(path[top])!.health.dependsOn;
      if (next[top] === deps.length) {
        colour.set(path[top], 'black');
        path.pop();
        next.pop();
        continue;
      }
      const d = deps[next[top]++];
      const c = colour.get(d.program);
      if (c === 'grey') {
        const cycle = [...path.slice(path.lastIndexOf(d.program)), d.program];
        throw new ConfigError(d.source.file, d.source.line, `depends_on forms a cycle: ${cycle.join(' -> ')}`);
      }
      if (c === undefined) {
        colour.set(d.program, 'grey');
        path.push(d.program);
        next.push(0);
      }
    }
  }
}
