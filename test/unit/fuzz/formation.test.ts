/**
 * Fuzz: the formation syntax (`-m web=2,worker=0`, parseFormation). Each spec parses into counts (whole
 * numbers >= 0 under process type names) or is refused with a one-line UsageError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFormation } from '../../../src/config/formation.js';
import { mustParseOrRefuse, mutated, newOutcome, params, reportOutcome } from './support.js';

function checkCounts(counts: Record<string, number>): void {
  for (const [name, n] of Object.entries(counts)) {
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
  }
}

const item = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), fc.constantFrom('=', ' = ', '='), fc.oneof(fc.nat(20).map(String), fc.constantFrom('0', '007', '9007199254740993', '-1', '1.5', 'two', '', '1e3', ' 3 '))).map(([n, eq, c]) => n + eq + c) },
  { weight: 2, arbitrary: fc.constantFrom('all=2', 'web', '=3', 'web==2', '', ' ', 'constructor=1', '__proto__=1', 'web=2=3') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const spec = fc.tuple(fc.array(item, { minLength: 0, maxLength: 6 }), fc.constantFrom(',', ', ', ' ,', ',,')).map(([items, sep]) => items.join(sep));

describe('fuzz: formation', () => {
  it('generated specs: counts or a one-line UsageError', () => {
    const o = newOutcome();
    fc.assert(fc.property(spec, (s) => mustParseOrRefuse(o, s, () => parseFormation(s), checkCounts)), params(5000));
    reportOutcome('formation generated', o);
    expect(o.parsed).toBeGreaterThan(100);
  });

  it('arbitrary strings, line breaks included (a quoted -m "web=1\\nworker=2" on a command line)', () => {
    const o = newOutcome();
    const anyText = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }));
    fc.assert(fc.property(anyText, (s) => mustParseOrRefuse(o, s, () => parseFormation(s), checkCounts)), params(4000));
    reportOutcome('formation arbitrary', o);
  });

  it('mutations of a valid spec', () => {
    const o = newOutcome();
    fc.assert(fc.property(mutated(fc.constantFrom('web=2,worker=1', 'all=3', 'web=1, worker=0 ,clock=1')), (s) => mustParseOrRefuse(o, s, () => parseFormation(s), checkCounts)), params(4000));
    reportOutcome('formation mutated', o);
  });

  it('a very long spec stays fast', () => {
    const o = newOutcome();
    const long = Array.from({ length: 100_000 }, (_, i) => `t${i}=${i % 5}`).join(',');
    mustParseOrRefuse(o, long, () => parseFormation(long), (c) => expect(Object.keys(c)).toHaveLength(100_000));
    const dupAtEnd = long + ',t0=1';
    mustParseOrRefuse(o, dupAtEnd, () => parseFormation(dupAtEnd));
    reportOutcome('formation large', o);
  });
});
