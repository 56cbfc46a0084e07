/**
 * `-m/--formation web=2,worker=0` (foreman's and overmind's syntax): how many instances of each type.
 * `all=N` sets the count of every type not named; load.ts applies the result and checks the names.
 */
import { UsageError } from './errors.js';
import { PROCESS_TYPE_NAME } from './process-type.js';

const COUNT = /^\d+$/;

/** The user's text in a message: quoted, with line breaks and other control characters escaped (one line). */
function show(text: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\x00-\x1f\x7f\u0085\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `'${escaped}'`;
}

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
    if (part === '') throw new UsageError(`formation: empty entry in ${show(spec)} (expected e.g. "web=2,worker=1")`);
    const eq = part.indexOf('=');
    if (eq < 0) throw new UsageError(`formation: ${show(part)} is not name=count (e.g. "web=2")`);
    const name = part.slice(0, eq).trim();
    const count = part.slice(eq + 1).trim();
    if (!PROCESS_TYPE_NAME.test(name)) {
      throw new UsageError(`formation: ${show(name)} in ${show(part)} is not a process type name (letters, digits, '_' and '-')`);
    }
    if (!COUNT.test(count) || !Number.isSafeInteger(Number(count))) {
      throw new UsageError(`formation: count ${show(count)} in ${show(part)} is not a whole number >= 0`);
    }
    if (Object.hasOwn(counts, name)) throw new UsageError(`formation: ${show(name)} is given twice in ${show(spec)}`);
    counts[name] = Number(count);
  }
  return counts;
}
