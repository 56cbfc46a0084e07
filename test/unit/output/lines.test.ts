import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineChunker, splitBatch, type LineBatch } from '../../../src/output/lines.js';

const s = (batches: LineBatch[]): string[] => batches.flatMap(splitBatch).map((b) => b.toString());

/** The old one-line-at-a-time splitter, kept as the reference the chunker must agree with. */
function referenceLines(chunks: Buffer[], max: number, stripCR: boolean): Buffer[] {
  const lines: Buffer[] = [];
  const emit = (line: Buffer): void => {
    if (stripCR && line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    while (line.length > max) {
      lines.push(line.subarray(0, max));
      line = line.subarray(max);
    }
    lines.push(line);
  };
  let tail: Buffer | null = null;
  for (const chunk of chunks) {
    const data: Buffer = tail ? Buffer.concat([tail, chunk]) : chunk;
    tail = null;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      emit(data.subarray(start, nl));
      start = nl + 1;
    }
    let rest = data.subarray(start);
    while (rest.length >= max) {
      lines.push(rest.subarray(0, max));
      rest = rest.subarray(max);
    }
    tail = rest.length > 0 ? rest : null;
  }
  if (tail) lines.push(tail);
  return lines;
}

describe('LineChunker', () => {
  it('cuts chunks into whole lines and keeps the tail for the next chunk', () => {
    const c = new LineChunker();
    expect(s(c.push(Buffer.from('a\nb')))).toEqual(['a']);
    expect(s(c.push(Buffer.from('c\n\nd')))).toEqual(['bc', '']);
    expect(s(c.flush())).toEqual(['d']);
    expect(c.flush()).toEqual([]);
  });

  it('gives a chunk of whole lines back as one view of it, without copying', () => {
    const chunk = Buffer.from('one\ntwo\nthree\n');
    const batches = new LineChunker().push(chunk);
    expect(batches).toHaveLength(1);
    expect(batches[0].data.buffer).toBe(chunk.buffer);
    expect(s(batches)).toEqual(['one', 'two', 'three']);
  });

  it('cuts lines longer than the bound into parts, losing nothing', () => {
    const c = new LineChunker(4);
    expect(s(c.push(Buffer.from('abcdefghij\nxy')))).toEqual(['abcd', 'efgh', 'ij']);
    expect(s(c.push(Buffer.from('zzzzzzz')))).toEqual(['xyzz', 'zzzz']);
    expect(s(c.flush())).toEqual(['z']);
  });

  it('strips a terminal CR only when asked', () => {
    expect(s(new LineChunker(100, true).push(Buffer.from('a\r\n')))).toEqual(['a']);
    expect(s(new LineChunker(100, false).push(Buffer.from('a\r\n')))).toEqual(['a\r']);
  });

  it('finds the same lines as a one-line-at-a-time splitter, however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a.map((b) => (b % 4 === 0 ? 10 : b % 7 === 0 ? 13 : b)))), { maxLength: 30 }),
        fc.integer({ min: 1, max: 50 }),
        fc.boolean(),
        (chunks, max, stripCR) => {
          const c = new LineChunker(max, stripCR);
          const got: Buffer[] = [];
          for (const chunk of chunks) got.push(...c.push(chunk).flatMap(splitBatch));
          got.push(...c.flush().flatMap(splitBatch));
          const want = referenceLines(chunks, max, stripCR);
          expect(got.map((b) => b.toString('latin1'))).toEqual(want.map((b) => b.toString('latin1')));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
