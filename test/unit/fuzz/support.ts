/**
 * Shared by the fuzz tests: the real-world corpus (../shared/corpus, read at test time), mutations of its
 * files, and the one property every parser must keep on any input: it returns a result, or throws a
 * ConfigError / UsageError whose message is one line (with `file:line: ` for errors at a line of a file),
 * never anything else, and never takes long.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { ConfigError, UsageError } from '../../../src/config/errors.js';

export const CORPUS = resolve(__dirname, '../../../../shared/corpus');

/**
 * Longest one parse may take before it counts as a hang (or a quadratic path), in CPU time of this test
 * process (each test file is its own fork): wall time also counts the time spent waiting for a core, which
 * on a loaded 2-core machine is several times the work itself and made these tests flaky.
 */
export const TIME_BOX_MS = 1000;

/** CPU milliseconds this process has used (user + system). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Files of one corpus folder (name filter optional), as text. */
export function corpusFiles(folder: string, filter: (name: string) => boolean = () => true): Array<{ name: string; text: string }> {
  const dir = join(CORPUS, folder);
  return readdirSync(dir)
    .filter(filter)
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

/** Characters that make parsers work: line breaks of every kind, quotes, comment marks, separators, oddities. */
const NASTY = [
  '\n', '\r\n', '\r', '\t', ' ', '  ', '\f', '\v', '\0', '\x1b[31m', '\u0085', '\u2028', '\u2029', '\u00a0', '\u3000',
  '\ufeff', '#', ';', ':', '=', '"', "'", '`', '\\', '\\"', '$', '%', '%(', ')s', '%%', '[', ']', '{', '}', ',', '/',
  '<<<<<<< HEAD', '=======', '>>>>>>>', 'é', '日本', '😀', '\ud800', 'x'.repeat(300),
];

/** One random edit of a text. */
const edit: fc.Arbitrary<(text: string) => string> = fc.oneof(
  // insert something at a position
  fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }))).map(
    ([at, s]) => (t: string) => {
      const i = t.length === 0 ? 0 : at % (t.length + 1);
      return t.slice(0, i) + s + t.slice(i);
    },
  ),
  // delete a range
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 40 })).map(([at, n]) => (t: string) => {
    const i = t.length === 0 ? 0 : at % t.length;
    return t.slice(0, i) + t.slice(i + n);
  }),
  // replace one character
  fc.tuple(fc.nat(), fc.constantFrom(...NASTY)).map(([at, s]) => (t: string) => {
    if (t.length === 0) return s;
    const i = at % t.length;
    return t.slice(0, i) + s + t.slice(i + 1);
  }),
  // line-level edits: duplicate, drop, swap, indent
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('dup', 'drop', 'swap', 'indent', 'join')).map(([a, b, op]) => (t: string) => {
    const lines = t.split('\n');
    const i = a % lines.length;
    const j = b % lines.length;
    if (op === 'dup') lines.splice(i, 0, lines[i]);
    if (op === 'drop') lines.splice(i, 1);
    if (op === 'swap') [lines[i], lines[j]] = [lines[j], lines[i]];
    if (op === 'indent') lines[i] = '  ' + lines[i];
    if (op === 'join' && i + 1 < lines.length) lines.splice(i, 2, lines[i] + lines[i + 1]);
    return lines.join('\n');
  }),
  // whole-text edits
  fc.constantFrom(
    (t: string) => t.replace(/\n/g, '\r\n'),
    (t: string) => t.replace(/\n/g, '\r'),
    (t: string) => '\ufeff' + t,
    (t: string) => t.slice(0, Math.floor(t.length / 2)),
    (t: string) => t.trimEnd(),
    (t: string) => t + t,
  ),
);

/** A text made from `base` by 1 to 8 random edits. */
export function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 8 })).map(([text, edits]) => edits.reduce((t, e) => e(t), text));
}

export interface Outcome {
  parsed: number;
  refused: number;
  slowestMs: number;
  /** Refusals whose (one-line) message echoes other control characters of the input (\v, \f, ESC, U+2028...). */
  controlChars: number;
  controlSample: string | null;
}

export function newOutcome(): Outcome {
  return { parsed: 0, refused: 0, slowestMs: 0, controlChars: 0, controlSample: null };
}

// eslint-disable-next-line no-control-regex
const OTHER_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0085\u2028\u2029]/;

const LINE_BREAK = /[\n\r]/;

/**
 * Run one parse under the property: a result, or a ConfigError / UsageError with a one-line message
 * (`file:line: ` when it names a line), within TIME_BOX_MS. Anything else fails the test, naming the input.
 */
export function mustParseOrRefuse<T>(outcome: Outcome, input: string, parse: () => T, check?: (result: T) => void): void {
  const t0 = cpuMs();
  let result: T;
  try {
    result = parse();
  } catch (err) {
    const ms = cpuMs() - t0;
    outcome.slowestMs = Math.max(outcome.slowestMs, ms);
    const ok = err instanceof ConfigError || err instanceof UsageError;
    if (!ok) {
      throw new Error(`unexpected ${(err as Error)?.name ?? typeof err}: ${(err as Error)?.message} for input ${JSON.stringify(input.slice(0, 2000))}\n${(err as Error)?.stack ?? ''}`);
    }
    expect(LINE_BREAK.test(err.message), `multi-line message ${JSON.stringify(err.message)} for input ${JSON.stringify(input.slice(0, 2000))}`).toBe(false);
    if (err instanceof ConfigError) {
      expect(err.file.length).toBeGreaterThan(0);
      expect(err.message.startsWith(err.line === null ? `${err.file}: ` : `${err.file}:${err.line}: `), err.message).toBe(true);
      if (err.line !== null) expect(Number.isInteger(err.line) && err.line >= 1, err.message).toBe(true);
    }
    expect(ms, `took ${ms} ms on ${JSON.stringify(input.slice(0, 200))}`).toBeLessThan(TIME_BOX_MS);
    if (OTHER_CONTROL.test(err.message)) {
      outcome.controlChars++;
      outcome.controlSample ??= err.message;
    }
    outcome.refused++;
    return;
  }
  const ms = cpuMs() - t0;
  outcome.slowestMs = Math.max(outcome.slowestMs, ms);
  expect(ms, `took ${ms} ms on ${JSON.stringify(input.slice(0, 200))}`).toBeLessThan(TIME_BOX_MS);
  check?.(result);
  outcome.parsed++;
}

/** Print what a fuzz test went through. */
export function reportOutcome(name: string, o: Outcome): void {
  // eslint-disable-next-line no-console
  const ctl = o.controlChars > 0 ? `; ${o.controlChars} messages echo control characters, e.g. ${JSON.stringify(o.controlSample)}` : '';
  console.log(`[fuzz] ${name}: ${o.parsed + o.refused} inputs, ${o.parsed} parsed, ${o.refused} refused cleanly, slowest ${o.slowestMs.toFixed(1)} ms${ctl}`);
}

/** fast-check settings: a fixed seed per test unless FUZZ_SEED is set (then a fresh exploration). */
export function params(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20240613;
  return { numRuns, seed, endOnFailure: true };
}
