/**
 * Fuzz: the Procfile parser (parseProcfile) on generated and mutated input, and the file reader
 * (readProcfileRun) on random bytes. Each input parses, or is refused with a one-line ConfigError naming
 * `file:line`; never another exception, never slow.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import { parseProcfile, readProcfileRun, type ProcfileEntry } from '../../../src/config/procfile.js';
import { tempDir } from '../../helpers/procinit.js';
import { corpusFiles, mustParseOrRefuse, mutated, newOutcome, params, reportOutcome } from './support.js';

const FILE = '/app/Procfile';
const NAME = /^[A-Za-z0-9_-]+$/;

function checkEntries(text: string, entries: ProcfileEntry[]): void {
  expect(entries.length).toBeGreaterThan(0);
  const lineCount = text.split(/\r\n|\n/).length;
  const names = new Set<string>();
  for (const e of entries) {
    expect(e.name).toMatch(NAME);
    expect(e.command.trim()).not.toBe('');
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lineCount);
    expect(names.has(e.name)).toBe(false);
    names.add(e.name);
  }
}

/** Lines that look like Procfile lines (mostly valid), near misses, comments, and noise. */
const validLine = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
    fc.constantFrom(':', ': ', ':\t', ':   '),
    fc.oneof(fc.stringMatching(/^[^\r\n]{1,40}$/), fc.constantFrom('bundle exec puma -p $PORT', 'python -m http.server', 'x:y:z', 'a # not a comment')),
  )
  .filter(([, , cmd]) => cmd.trim() !== '')
  .map(([name, colon, cmd]) => name + colon + cmd);
const nearMiss = fc
  .tuple(
    fc.constantFrom('', ' ', '\t'),
    fc.constantFrom('web', 'worker', 'we b', 'web.1', 'é', ''),
    fc.constantFrom(':', ': ', ' :', '', '::'),
    fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '   ')),
  )
  .map(([indent, name, colon, cmd]) => indent + name + colon + cmd);
const procfileLine = fc.oneof(
  { weight: 12, arbitrary: validLine },
  { weight: 2, arbitrary: fc.constantFrom('', '   ', '# comment', '  # indented', '\t#x') },
  { weight: 1, arbitrary: nearMiss },
  { weight: 1, arbitrary: fc.constantFrom('<<<<<<< HEAD', '=======', '>>>>>>> branch', '\r', 'web: a\rb') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const procfileText = fc
  .tuple(fc.array(procfileLine, { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), fc.boolean())
  .map(([lines, eol, bom, finalEol]) => (bom ? '\ufeff' : '') + lines.join(eol) + (finalEol ? eol : ''));

describe('fuzz: Procfile parser', () => {
  it('generated Procfile-like text: parses or refuses with file:line', () => {
    const o = newOutcome();
    fc.assert(fc.property(procfileText, (text) => mustParseOrRefuse(o, text, () => parseProcfile(text, FILE), (e) => checkEntries(text, e))), params(4000));
    reportOutcome('procfile generated', o);
    expect(o.parsed).toBeGreaterThan(100); // the generator reaches valid files too
  });

  it('arbitrary strings (full Unicode, lone surrogates)', () => {
    const o = newOutcome();
    const anyText = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 }));
    fc.assert(fc.property(anyText, (text) => mustParseOrRefuse(o, text, () => parseProcfile(text, FILE), (e) => checkEntries(text, e))), params(3000));
    reportOutcome('procfile arbitrary', o);
  });

  it('mutated real Procfiles from the corpus', () => {
    const files = corpusFiles('procfile');
    expect(files.length).toBeGreaterThan(10);
    const o = newOutcome();
    const base = fc.constantFrom(...files.map((f) => f.text));
    fc.assert(fc.property(mutated(base), (text) => mustParseOrRefuse(o, text, () => parseProcfile(text, FILE), (e) => checkEntries(text, e))), params(4000));
    reportOutcome('procfile mutated corpus', o);
  });

  it('large inputs stay fast (no quadratic path)', () => {
    const o = newOutcome();
    const many = Array.from({ length: 100_000 }, (_, i) => `p${i}: run ${i}`).join('\n');
    mustParseOrRefuse(o, many, () => parseProcfile(many, FILE), (e) => expect(e).toHaveLength(100_000));
    const comments = '# x\n'.repeat(200_000) + 'web: a\n';
    mustParseOrRefuse(o, comments, () => parseProcfile(comments, FILE));
    const longLine = 'web: ' + 'x'.repeat(5_000_000);
    mustParseOrRefuse(o, longLine, () => parseProcfile(longLine, FILE));
    const dup = 'web: a\n'.repeat(100_000);
    mustParseOrRefuse(o, dup, () => parseProcfile(dup, FILE));
    expect(o.slowestMs).toBeLessThan(1000);
    reportOutcome('procfile large', o);
  });

  it('random bytes as a file: refused as not UTF-8 at the right line, or read', () => {
    const dir = tempDir();
    const file = join(dir, 'Procfile');
    const o = newOutcome();
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.constantFrom(...corpusFiles('procfile').map((f) => Buffer.from(f.text))), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(
        ([buf, at, junk]) => {
          const i = at % (buf.length + 1);
          return new Uint8Array(Buffer.concat([buf.subarray(0, i), Buffer.from(junk), buf.subarray(i)]));
        },
      ),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        writeFileSync(file, b);
        mustParseOrRefuse(o, Buffer.from(b).toString('latin1'), () => {
          try {
            return readProcfileRun(file, defaultLoadOptions({ cwd: dir, env: {} }), {});
          } catch (err) {
            if (err instanceof ConfigError && /not valid UTF-8/.test(err.message)) {
              // the line named is the first line holding invalid bytes
              const lines = Buffer.from(b).toString('latin1').split('\n');
              expect(err.line).toBeGreaterThanOrEqual(1);
              expect(err.line).toBeLessThanOrEqual(lines.length);
            }
            throw err;
          }
        });
      }),
      params(800),
    );
    reportOutcome('procfile random bytes', o);
  });
});
