import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitBatch, type LineBatch } from '../../../src/output/lines.js';
import { prefixLines, prefixLinesJs } from '../../../src/output/prefix-lines.js';
import { loadAddon } from '../../../src/pid1/native.js';

const batch = (data: Buffer, maxLine = 64 * 1024, stripCR = false): LineBatch => ({ data, maxLine, stripCR });

describe('prefixLines', () => {
  it('runs in C (native/lines.c) where the addon is built', () => {
    expect(typeof (loadAddon('lines') as { prefixLines: unknown }).prefixLines).toBe('function');
  });

  it('puts the prefix before every line and a newline after it', () => {
    expect(prefixLines(batch(Buffer.from('a\n\nbc\n')), Buffer.from('web | ')).toString()).toBe('web | a\nweb | \nweb | bc\n');
  });

  it('ends an unterminated last line and cuts long lines into parts', () => {
    expect(prefixLines(batch(Buffer.from('abcdefghij'), 4), Buffer.from('> ')).toString()).toBe('> abcd\n> efgh\n> ij\n');
  });

  it('handles batches with more lines than its scratch space starts with', () => {
    const data = Buffer.from('x\n'.repeat(50_000));
    for (const f of [prefixLines, prefixLinesJs]) {
      const out = f(batch(data), Buffer.from('p|'));
      expect(out.length).toBe(50_000 * 4);
      expect(out.toString()).toBe('p|x\n'.repeat(50_000));
    }
  });

  it('refuses wrong arguments with a TypeError, not a crash', () => {
    const addon = loadAddon('lines') as { prefixLines(...args: unknown[]): Buffer };
    expect(() => addon.prefixLines('text', Buffer.from('p'), 10, false)).toThrow(TypeError);
    expect(() => addon.prefixLines(Buffer.from('a'), Buffer.from('p'), 0, false)).toThrow(/maxLine/);
  });

  it('gives what formatting each line of splitBatch would give, in C and in JavaScript', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a.map((b) => (b % 5 === 0 ? 10 : b % 11 === 0 ? 13 : b)))),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.string({ maxLength: 12 }),
        (data, max, stripCR, p) => {
          const b = batch(data, max, stripCR);
          const prefix = Buffer.from(p);
          const want = Buffer.concat(splitBatch(b).flatMap((line) => [prefix, line, Buffer.from('\n')]));
          expect(prefixLines(b, prefix).equals(want)).toBe(true);
          expect(prefixLinesJs(b, prefix).equals(want)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
