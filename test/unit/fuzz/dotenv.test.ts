/**
 * Fuzz: the .env parser (parseDotenv) on generated, arbitrary and mutated input. Each input parses into
 * string values under valid keys, or is refused with a one-line ConfigError naming `file:line`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../src/config/dotenv.js';
import { mustParseOrRefuse, mutated, newOutcome, params, reportOutcome } from './support.js';

const FILE = '/app/.env';
const KEY = /^[A-Za-z0-9_.-]+$/;

function checkEnv(env: Record<string, string>): void {
  expect(Object.getPrototypeOf(env)).toBe(null);
  for (const [k, v] of Object.entries(env)) {
    expect(k).toMatch(KEY);
    expect(typeof v).toBe('string');
  }
}

const key = fc.oneof({ weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,10}$/) }, { weight: 1, arbitrary: fc.constantFrom('', 'A B', '1X', 'É', '__proto__', 'constructor', 'a$b') });
const value = fc.oneof(
  fc.stringMatching(/^[^\r\n]{0,30}$/),
  fc.constantFrom('', '#fff', 'a # comment', 'x=y=z', '${HOME}', '$PATH', 'a\\nb'),
  fc.tuple(fc.constantFrom('"', "'", '`'), fc.string({ maxLength: 20 }), fc.constantFrom('"', "'", '`', ''), fc.constantFrom('', ' # c', ' junk', '  ')).map(
    ([open, body, close, after]) => open + body + close + after,
  ),
  fc.constantFrom('"multi\nline"', "'two\nlines'", '"unterminated', '"esc \\" quote"', '"\\n\\t\\r\\\\"', '`back\ntick`'),
);
const envLine = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.constantFrom('', 'export ', '  ', 'export\t'), key, fc.constantFrom('=', ' = ', '= ', ' ='), value).map(([pre, k, eq, v]) => pre + k + eq + v) },
  { weight: 2, arbitrary: fc.constantFrom('', '# comment', '   # indented', 'export', 'NOEQUALS', '=value', ' \t ') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const envText = fc
  .tuple(fc.array(envLine, { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), fc.boolean())
  .map(([lines, eol, bom, finalEol]) => (bom ? '\ufeff' : '') + lines.join(eol) + (finalEol ? eol : ''));

/** A realistic .env to mutate (the corpus holds none). */
const SEED_ENV = [
  '# app settings',
  'export RAILS_ENV=production',
  'PORT=5000',
  'DATABASE_URL="postgres://u:p@db:5432/app?sslmode=require"',
  "SECRET='s3cr3t $not expanded'",
  'GREETING="hello\\nworld"',
  'MULTI="line one',
  'line two"',
  'COLOR=#fff',
  'EMPTY=',
  'WITH_COMMENT=value # trailing',
  'app.name=demo',
  '',
].join('\n');

describe('fuzz: .env parser', () => {
  it('generated .env-like text: parses or refuses with file:line', () => {
    const o = newOutcome();
    fc.assert(fc.property(envText, (text) => mustParseOrRefuse(o, text, () => parseDotenv(text, FILE), checkEnv)), params(4000));
    reportOutcome('dotenv generated', o);
    expect(o.parsed).toBeGreaterThan(100);
  });

  it('arbitrary strings (full Unicode, lone surrogates)', () => {
    const o = newOutcome();
    const anyText = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }));
    fc.assert(fc.property(anyText, (text) => mustParseOrRefuse(o, text, () => parseDotenv(text, FILE), checkEnv)), params(3000));
    reportOutcome('dotenv arbitrary', o);
  });

  it('mutations of a realistic .env', () => {
    const o = newOutcome();
    fc.assert(fc.property(mutated(fc.constant(SEED_ENV)), (text) => mustParseOrRefuse(o, text, () => parseDotenv(text, FILE), checkEnv)), params(4000));
    reportOutcome('dotenv mutated', o);
  });

  it('large inputs stay fast, including an unterminated quote at the top of a long file', () => {
    const o = newOutcome();
    const many = Array.from({ length: 100_000 }, (_, i) => `K${i}=v${i}`).join('\n');
    mustParseOrRefuse(o, many, () => parseDotenv(many, FILE), (env) => expect(Object.keys(env)).toHaveLength(100_000));
    const unterminated = 'A="never closed\n' + 'B=1\n'.repeat(100_000);
    mustParseOrRefuse(o, unterminated, () => parseDotenv(unterminated, FILE));
    const longQuoted = 'A="' + 'x\n'.repeat(100_000) + '"\n';
    mustParseOrRefuse(o, longQuoted, () => parseDotenv(longQuoted, FILE));
    const backslashes = 'A="' + '\\'.repeat(1_000_001) + '\n';
    mustParseOrRefuse(o, backslashes, () => parseDotenv(backslashes, FILE));
    reportOutcome('dotenv large', o);
  });
});
