import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitBatch, type LineBatch } from '../../../src/output/lines.js';
import { prefixLines, prefixLinesInto, prefixLinesJs } from '../../../src/output/prefix-lines.js';
import { loadAddon } from '../../../src/pid1/native.js';

const batch = (data: Buffer, maxLine = 64 * 1024, stripCR = false): LineBatch => ({ data, maxLine, stripCR });

describe('prefixLines', () => {
  it('runs in C (native/output.c) where the addon is built', () => {
    expect(typeof (loadAddon('procinit') as { prefixLines: unknown }).prefixLines).toBe('function');
  });

  it('puts the prefix before every line and a newline after it', () => {
    expect(prefixLines(batch(Buffer.from('a\n\nbc\n')), Buffer.from('web | ')).toString()).toBe('web | a\nweb | \nweb | bc\n');
  });

  it('ends an unterminated last line and cuts long lines into parts', () => {
    expect(prefixLines(batch(Buffer.from('abcdefghij'), 4), Buffer.from('> ')).toString()).toBe('> abcd\n> efgh\n> ij\n');
  });

  it('handles batches with more lines than its scratch space starts with', () => {
    const data = Buffer.from('x\n'.repeat(50_000));
    for (const into of [prefixLinesInto, prefixLinesJs]) {
      const out = prefixLines(batch(data), Buffer.from('p|'), into);
      expect(out.length).toBe(50_000 * 4);
      expect(out.toString()).toBe('p|x\n'.repeat(50_000));
    }
  });

  it('refuses wrong arguments with a TypeError, not a crash', () => {
    const addon = loadAddon('procinit') as { prefixLines(...args: unknown[]): Buffer };
    const out = Buffer.alloc(10);
    expect(() => addon.prefixLines('text', Buffer.from('p'), 10, false, out, 0)).toThrow(TypeError);
    expect(() => addon.prefixLines(Buffer.from('a'), Buffer.from('p'), 0, false, out, 0)).toThrow(/maxLine/);
    expect(() => addon.prefixLines(Buffer.from('a'), Buffer.from('p'), 10, false, out, 11)).toThrow(/off/);
    expect(() => addon.prefixLines(Buffer.from('a'), Buffer.from('p'), 10, false)).toThrow(TypeError);
  });

  it('writes into a buffer at an offset, or says how much room it needs and writes nothing', () => {
    for (const into of [prefixLinesInto, prefixLinesJs]) {
      const out = Buffer.alloc(12, 46);
      expect(into(batch(Buffer.from('a\nb\n')), Buffer.from('> '), out, 5)).toBe(-8);
      expect(out.toString()).toBe('.'.repeat(12));
      expect(into(batch(Buffer.from('a\nb\n')), Buffer.from('> '), out, 4)).toBe(8);
      expect(out.toString()).toBe('....> a\n> b\n');
    }
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
          expect(prefixLines(b, prefix, prefixLinesInto).equals(want)).toBe(true);
          expect(prefixLines(b, prefix, prefixLinesJs).equals(want)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
