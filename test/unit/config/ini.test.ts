import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { IniDocument, inlineCommentStart, isPySpace, pyStrip, readIniFile } from '../../../src/config/ini.js';
import { askPython, haveSupervisorPython, reportMissingSupervisorPython } from '../../helpers/supervisord-python.js';
import { configError } from '../../helpers/config-error.js';

const FILE = '/etc/supervisord.conf';

function parse(text: string): IniDocument {
  const doc = new IniDocument();
  doc.readText(text, FILE);
  return doc;
}

/** Sections as [name, [[key, value]...]] for compact assertions. */
function dump(doc: IniDocument): Array<[string, Array<[string, string]>]> {
  return [...doc.sections.values()].map((s) => [s.name, [...s.options].map(([k, v]) => [k, v.value] as [string, string])]);
}


describe('IniDocument: ConfigParser as supervisord configures it', () => {
  it('reads sections and key = value / key: value, lower-casing keys and trimming values', () => {
    const doc = parse('[program:web]\nCommand = /bin/web  \nAutoStart:false\n');
    expect(dump(doc)).toEqual([['program:web', [['command', '/bin/web'], ['autostart', 'false']]]]);
    expect(doc.get('program:web', 'AUTOSTART')?.line).toBe(3);
  });

  it('splits at the first = or : so values keep theirs', () => {
    expect(dump(parse('[a]\nurl = http://x:1/?a=b\nk: v=w\n'))).toEqual([['a', [['url', 'http://x:1/?a=b'], ['k', 'v=w']]]]);
  });

  it('keeps section names as written (case-sensitive; first [ to last ])', () => {
    expect(parse('[Program:X]\n[a]b]\n[ spaced ]\n').sectionNames()).toEqual(['Program:X', 'a]b', ' spaced ']);
  });

  it('skips ; and # comment lines, and inline comments only after whitespace', () => {
    const doc = parse('; c1\n# c2\n[a]\n  ; indented comment\nk = v ; comment\nu = http://x/#frag\nw = a;b\nx = y #c\n');
    expect(dump(doc)).toEqual([['a', [['k', 'v'], ['u', 'http://x/#frag'], ['w', 'a;b'], ['x', 'y']]]]);
  });

  it('follows Python\'s rounds when searching inline comments', () => {
    // round 1 finds ";" at "a;b" (no space before) and "#" after a space: the cut is at " #"
    expect(inlineCommentStart('k = a;b ;c #d')).toBe(11);
    expect(inlineCommentStart('k = a ;b')).toBe(6);
    // round 1: ";" at 5 (no space) and "#" at 11 (after a space): cut at 11, although " ;" at 8 comes first
    expect(inlineCommentStart('k = a;b ;c #')).toBe(11);
    expect(inlineCommentStart('k = a;b ;c')).toBe(8);
    expect(inlineCommentStart('plain')).toBe(-1);
  });

  it('joins deeper-indented lines to the value, keeps inner blank lines, drops trailing ones', () => {
    const doc = parse('[a]\ncmd = one\n  two\n\n\tthree\n  ; comment inside\n  four\n\n\nnext = x\n');
    expect(doc.get('a', 'cmd')?.value).toBe('one\ntwo\n\nthree\nfour');
    expect(doc.get('a', 'cmd')?.line).toBe(2);
    expect(doc.get('a', 'next')?.value).toBe('x');
  });

  it('reads a deeper-indented [x] after a key as a continuation, not a section', () => {
    const doc = parse('[a]\nk = v\n  [b]\n');
    expect(doc.sectionNames()).toEqual(['a']);
    expect(doc.get('a', 'k')?.value).toBe('v\n[b]');
  });

  it('lets the last of repeated keys win and merges repeated sections', () => {
    const doc = parse('[a]\nk = 1\nj = 2\n[b]\n[a]\nk = 3\nl = 4\n');
    expect(dump(doc)).toEqual([
      ['a', [['k', '3'], ['j', '2'], ['l', '4']]],
      ['b', []],
    ]);
    expect(doc.get('a', 'k')?.line).toBe(6);
  });

  it('gives [DEFAULT] keys to every section', () => {
    const doc = parse('[DEFAULT]\nautorestart = false\n[program:a]\ncommand = x\n');
    expect(doc.get('program:a', 'autorestart')?.value).toBe('false');
    expect(doc.keys('program:a')).toEqual(['command', 'autorestart']);
    expect(doc.sectionNames()).toEqual(['program:a']);
  });

  it('accepts LF, CRLF and lone CR line breaks', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const doc = parse(['[a]', 'k = 1', '  2', 'j = 3'].join(nl) + nl);
      expect(dump(doc)).toEqual([['a', [['k', '1\n2'], ['j', '3']]]]);
      expect(doc.get('a', 'j')?.line).toBe(4);
    }
  });

  it('refuses an option before any section, a line without delimiter and an empty key, naming the line', () => {
    expect(configError(() => parse('\ncommand = x\n[a]\n')).message).toMatch(/^\/etc\/supervisord.conf:2: expected a \[section\]/);
    expect(configError(() => parse('[a]\nk = v\nnot an option\n')).message).toMatch(/:3: expected "key = value"/);
    expect(configError(() => parse('[a]\n= v\n')).message).toMatch(/:2: missing key/);
  });

  it('treats Python\'s whitespace as whitespace (e.g. U+3000, U+001C) but not U+FEFF', () => {
    expect(isPySpace('\u3000')).toBe(true);
    expect(isPySpace('\u001c')).toBe(true);
    expect(isPySpace('\ufeff')).toBe(false);
    expect(pyStrip('\u00a0 x \u2003')).toBe('x');
  });
});

describe('readIniFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-ini-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('drops a UTF-8 BOM (supervisord would refuse the file: a deliberate difference)', () => {
    const f = join(dir, 'bom.conf');
    writeFileSync(f, '\uFEFF[supervisord]\nnodaemon = true\n');
    expect(readIniFile(f).get('supervisord', 'nodaemon')?.value).toBe('true');
  });

  it('merges a second file into the same document, remembering where each value came from', () => {
    const a = join(dir, 'a.conf');
    const b = join(dir, 'b.conf');
    writeFileSync(a, '[program:x]\ncommand = a\npriority = 1\n');
    writeFileSync(b, '\n[program:x]\ncommand = b\n');
    const doc = readIniFile(b, readIniFile(a));
    expect(doc.get('program:x', 'command')).toEqual({ value: 'b', file: b, line: 3 });
    expect(doc.get('program:x', 'priority')).toEqual({ value: '1', file: a, line: 3 });
  });

  it('refuses a file that is not UTF-8, naming the line', () => {
    const f = join(dir, 'latin1.conf');
    writeFileSync(f, Buffer.from('[a]\nk = caf\xe9\n', 'latin1'));
    expect(configError(() => readIniFile(f)).message).toBe(`${f}:2: not valid UTF-8 text`);
  });
});

describe.skipIf(!haveSupervisorPython)('IniDocument against Python\'s ConfigParser', () => {
  it('agrees with UnhosedConfigParser on random files (sections, keys, values; accept/refuse)', () => {
    const line = fc.oneof(
      fc.constantFrom('[a]', '[b]', '[DEFAULT]', '[a]x', '[]', '[ a ]', '  [b]', '', '   ', '; c', '# c', '  ; c', 'k', 'K = ', '= v'),
      fc
        .tuple(
          fc.constantFrom('', ' ', '\t', '  '),
          fc.constantFrom('k', 'K', 'key', 'a b', 'x'),
          fc.constantFrom('=', ':', ' = ', ' : ', '\t=\t'),
          fc.array(fc.constantFrom('v', ' ', ';', '#', ' ;', ' #', '=', ':', '[', ']', 'é', '\u3000', '\f'), { maxLength: 6 }),
        )
        .map(([indent, key, delim, value]) => `${indent}${key}${delim}${value.join('')}`),
    );
    const text = fc
      .tuple(fc.array(line, { maxLength: 10 }), fc.constantFrom('\n', '\r\n', '\r'))
      .map(([lines, nl]) => ['[a]', ...lines].join(nl) + nl);
    const cases = fc.sample(text, { numRuns: 1500, seed: 3 });
    const expected = askPython<{ sections: Array<[string, Array<[string, string]>]>; defaults: Array<[string, string]> }>('ini', cases);
    let accepted = 0;
    cases.forEach((t, i) => {
      const e = expected[i];
      let ours: { ok: unknown } | { error: true };
      try {
        const doc = parse(t);
        ours = { ok: { sections: dump(doc), defaults: [...doc.defaults].map(([k, v]) => [k, v.value]) } };
      } catch {
        ours = { error: true };
      }
      expect(ours, JSON.stringify(t)).toEqual('ok' in e ? e : { error: true });
      if ('ok' in e) accepted++;
    });
    expect(accepted).toBeGreaterThan(300);
  });
});

reportMissingSupervisorPython();
