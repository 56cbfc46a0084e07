/**
 * `-m/--formation web=2,worker=0` (foreman's and overmind's syntax): how many instances of each type.
 * `all=N` sets the count of every type not named; load.ts applies the result and checks the names.
 */
import { UsageError } from './errors.js';
import { PROCESS_TYPE_NAME } from './process-type.js';

const COUNT = /^\d+$/;

/**
 * Parse "web=2,worker=0" / "all=2" into { web: 2, worker: 0 } / { all: 2 }.
 * Whitespace around items is ignored; anything else that is not `name=count` is a UsageError naming that part.
 */
export function parseFormation(spec: string): Record<string, number> {
  // No prototype: a type named 'constructor' must not find Object's.
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  if (spec.trim() === '') throw new UsageError('formation: empty (expected e.g. "web=2,worker=1" or "all=2")');
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === '') throw new UsageError(`formation: empty entry in '${spec}' (expected e.g. "web=2,worker=1")`);
    const eq = part.indexOf('=');
    if (eq < 0) throw new UsageError(`formation: '${part}' is not name=count (e.g. "web=2")`);
    const name = part.slice(0, eq).trim();
    const count = part.slice(eq + 1).trim();
    if (!PROCESS_TYPE_NAME.test(name)) {
      throw new UsageError(`formation: '${name}' in '${part}' is not a process type name (letters, digits, '_' and '-')`);
    }
    if (!COUNT.test(count) || !Number.isSafeInteger(Number(count))) {
      throw new UsageError(`formation: count '${count}' in '${part}' is not a whole number >= 0`);
    }
    if (Object.hasOwn(counts, name)) throw new UsageError(`formation: '${name}' is given twice in '${spec}'`);
    counts[name] = Number(count);
  }
  return counts;
}
