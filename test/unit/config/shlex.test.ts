import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShlexError, shlexSplit, shlexTokens } from '../../../src/config/shlex.js';
import { keyValuePairs } from '../../../src/config/supervisord-types.js';
import { askPython, haveSupervisorPython, reportMissingSupervisorPython } from '../../helpers/supervisord-python.js';

describe('shlexSplit: supervisord splits command= with shlex.split (POSIX)', () => {
  it('splits on spaces, tabs and newlines, nothing else', () => {
    expect(shlexSplit('nginx -g "daemon off;"')).toEqual(['nginx', '-g', 'daemon off;']);
    expect(shlexSplit('  a\tb\nc  ')).toEqual(['a', 'b', 'c']);
    expect(shlexSplit('a;b|c&&d>e')).toEqual(['a;b|c&&d>e']);
  });

  it('keeps quotes apart from words and joins adjacent pieces', () => {
    expect(shlexSplit(`--flag='a b' "x"'y'z`)).toEqual(['--flag=a b', 'xyz']);
    expect(shlexSplit(`'' ""`)).toEqual(['', '']);
  });

  it('does no shell expansion: $VAR, ~, globs and # stay literal', () => {
    expect(shlexSplit('echo $HOME ~ *.txt #not-a-comment')).toEqual(['echo', '$HOME', '~', '*.txt', '#not-a-comment']);
  });

  it('backslash escapes anything outside quotes, only " and \\ inside double quotes, nothing inside single quotes', () => {
    expect(shlexSplit('a\\ b')).toEqual(['a b']);
    expect(shlexSplit('"a\\"b" "c\\\\d" "e\\nf"')).toEqual(['a"b', 'c\\d', 'e\\nf']);
    expect(shlexSplit("'a\\b'")).toEqual(['a\\b']);
    // a backslash-newline from a continuation line keeps the newline (bash would drop both)
    expect(shlexSplit('bash -c " \\\n  exec x"')).toEqual(['bash', '-c', ' \\\n  exec x']);
    expect(shlexSplit('a\\\nb')).toEqual(['a\nb']);
  });

  it('refuses an unclosed quote or a trailing backslash, as Python does', () => {
    expect(() => shlexSplit('echo "oops')).toThrow(new ShlexError('No closing quotation'));
    expect(() => shlexSplit("echo 'oops")).toThrow(ShlexError);
    expect(() => shlexSplit('echo oops\\')).toThrow(new ShlexError('No escaped character'));
  });

  it('returns no words for an empty or blank command', () => {
    expect(shlexSplit('')).toEqual([]);
    expect(shlexSplit(' \n\t ')).toEqual([]);
  });

  it('works on code points (astral characters stay whole)', () => {
    expect(shlexSplit('echo "😀 x" 😀')).toEqual(['echo', '😀 x', '😀']);
  });
});

describe('shlexTokens: the classic (non-POSIX) lexer under environment=', () => {
  const lex = (s: string): string[] => shlexTokens(s, { posix: false, extraWordChars: '/.+-():' });

  it('makes words, keeps quotes on quoted strings, and one token per other character', () => {
    expect(lex('A="x,y",B=2')).toEqual(['A', '=', '"x,y"', ',', 'B', '=', '2']);
    expect(lex('P=/usr/bin:/bin')).toEqual(['P', '=', '/usr/bin:/bin']);
    expect(lex('C=$HOME')).toEqual(['C', '=', '$', 'HOME']);
  });

  it('treats # as a comment to the end of the line', () => {
    expect(lex('A=1 # B=2\nC=3')).toEqual(['A', '=', '1', 'C', '=', '3']);
  });

  it('leaves non-ASCII letters out of words (supervisord then drops them)', () => {
    expect(lex('B=café')).toEqual(['B', '=', 'caf', 'é']);
  });
});

describe('keyValuePairs: dict_of_key_value_pairs', () => {
  it('reads KEY=value pairs with quotes that protect commas', () => {
    expect(keyValuePairs('A="x,y",B=2,C=\'z\'').pairs).toEqual({ A: 'x,y', B: '2', C: 'z' });
    expect(keyValuePairs('').pairs).toEqual({});
  });

  it('reports what supervisord silently drops', () => {
    const r = keyValuePairs('A=x y');
    expect(r.pairs).toEqual({ A: 'x' });
    expect(r.oddities[0]).toMatch(/followed by "y"/);
  });

  it('refuses a pair without value and an unclosed quote', () => {
    expect(() => keyValuePairs('A=1,B')).toThrow(/unexpected end/);
    expect(() => keyValuePairs('A="x')).toThrow(/No closing quotation/);
  });

  it('keeps a key such as __proto__ as a plain entry', () => {
    const { pairs } = keyValuePairs('__proto__=x');
    expect(Object.keys(pairs)).toEqual(['__proto__']);
    expect(pairs.__proto__).toBe('x');
  });
});

const ALPHABET = ['a', 'b', ' ', '\t', '\n', "'", '"', '\\', '#', '=', ',', 'é', '$', '(', ':', '-', '/'];
const weird = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 24 }).map((cs) => cs.join(''));

describe.skipIf(!haveSupervisorPython)('against Python', () => {
  it('shlexSplit agrees with shlex.split on random input', () => {
    const cases = fc.sample(weird, { numRuns: 1500, seed: 42 });
    const expected = askPython<string[]>('split', cases);
    cases.forEach((text, i) => {
      const e = expected[i];
      let ours: { ok: string[] } | { error: string };
      try {
        ours = { ok: shlexSplit(text) };
      } catch (err) {
        ours = { error: (err as Error).message };
      }
      expect(ours, JSON.stringify(text)).toEqual(e);
    });
  });

  it('keyValuePairs agrees with dict_of_key_value_pairs on random input (accept/refuse and result)', () => {
    const pairish = fc
      .array(fc.constantFrom('A', 'B_1', '=', ',', '"', "'", ' ', 'x', 'é', '$', '#', '\n', '/p:q', '%'), { maxLength: 16 })
      .map((cs) => cs.join(''));
    const cases = fc.sample(pairish, { numRuns: 1500, seed: 7 });
    const expected = askPython<Record<string, string>>('pairs', cases);
    cases.forEach((text, i) => {
      const e = expected[i];
      let ours: 'error' | Record<string, string>;
      try {
        ours = keyValuePairs(text).pairs;
      } catch {
        ours = 'error';
      }
      expect(ours, JSON.stringify(text)).toEqual('ok' in e ? e.ok : 'error');
    });
  });
});

reportMissingSupervisorPython();
