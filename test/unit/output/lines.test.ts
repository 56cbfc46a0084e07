import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineSplitter } from '../../../src/output/lines.js';

const s = (bufs: Buffer[]): string[] => bufs.map((b) => b.toString());

describe('LineSplitter', () => {
  it('splits chunks into whole lines and keeps the tail for the next chunk', () => {
    const sp = new LineSplitter();
    expect(s(sp.push(Buffer.from('a\nb')))).toEqual(['a']);
    expect(s(sp.push(Buffer.from('c\n\nd')))).toEqual(['bc', '']);
    expect(s(sp.flush())).toEqual(['d']);
    expect(sp.flush()).toEqual([]);
  });

  it('cuts lines longer than the bound into parts, losing nothing', () => {
    const sp = new LineSplitter(4);
    expect(s(sp.push(Buffer.from('abcdefghij\nxy')))).toEqual(['abcd', 'efgh', 'ij']);
    expect(s(sp.push(Buffer.from('zzzzzzz')))).toEqual(['xyzz', 'zzzz']);
    expect(s(sp.flush())).toEqual(['z']);
  });

  it('strips a terminal CR only when asked', () => {
    expect(s(new LineSplitter(100, true).push(Buffer.from('a\r\n')))).toEqual(['a']);
    expect(s(new LineSplitter(100, false).push(Buffer.from('a\r\n')))).toEqual(['a\r']);
  });

  it('gives back exactly the bytes it was given, however they are chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 }), fc.integer({ min: 1, max: 50 }), (chunks, max) => {
        const sp = new LineSplitter(max);
        const out: Buffer[] = [];
        const input = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        for (const c of chunks) out.push(...sp.push(Buffer.from(c)));
        out.push(...sp.flush());
        for (const line of out) expect(line.length).toBeLessThanOrEqual(max);
        // joined with the newlines that separated them, the non-cut lines rebuild the input
        const rebuilt = Buffer.concat(out).length + input.filter((b) => b === 10).length;
        expect(rebuilt).toBe(input.length);
      }),
      { numRuns: 500 },
    );
  });
});
