import { describe, expect, it } from 'vitest';
import { ByteRing, RecordRing } from '../../../src/output/ring.js';

const lines = (n: number, size = 1): Buffer => Buffer.from(('a'.repeat(size) + '\n').repeat(n));
const push = (r: RecordRing, time: number, data: Buffer): void => r.push('stdout', time, { data, maxLine: 65536, stripCR: false });

describe('RecordRing', () => {
  it('keeps the last maxLines records', () => {
    const r = new RecordRing('web.1', 3, 1000);
    for (let i = 0; i < 10; i++) push(r, i, lines(1));
    expect(r.tail().map((x) => x.time)).toEqual([7, 8, 9]);
    expect(r.tail(2).map((x) => x.time)).toEqual([8, 9]);
  });

  it('cuts batches into lines only when read, taking the last lines of the last batches', () => {
    const r = new RecordRing('web.1', 5, 1000);
    push(r, 1, Buffer.from('a\nb\nc\n'));
    push(r, 2, Buffer.from('d\ne\nf\n'));
    expect(r.tail().map((x) => `${x.time}:${x.line}`)).toEqual(['1:b', '1:c', '2:d', '2:e', '2:f']);
    expect(r.tail(2).map((x) => x.line.toString())).toEqual(['e', 'f']);
    expect(r.tail(100)).toHaveLength(5);
  });

  it('keeps at most maxBytes (but always the newest record)', () => {
    const r = new RecordRing('web.1', 100, 10);
    for (let i = 0; i < 10; i++) push(r, i, lines(1, 4));
    expect(r.tail().map((x) => x.time)).toEqual([8, 9]);
    push(r, 99, lines(1, 50));
    expect(r.tail().map((x) => x.time)).toEqual([99]);
  });

  it('stays bounded over many pushes', () => {
    const r = new RecordRing('web.1', 10, 1000);
    for (let i = 0; i < 100_000; i++) push(r, i, lines(3));
    expect(r.tail()).toHaveLength(10);
    expect((r as unknown as { entries: unknown[] }).entries.length).toBeLessThan(10_000);
  });

  it('copies what it keeps: the buffer a batch came in may be reused at once', () => {
    const r = new RecordRing('web.1', 10, 1000);
    const shared = Buffer.from('one\ntwo\n');
    push(r, 1, shared);
    shared.fill(120);
    expect(r.tail().map((x) => x.line.toString())).toEqual(['one', 'two']);
  });

  it('wraps around its buffer and grows only as far as maxBytes', () => {
    const r = new RecordRing('web.1', 100_000, 50_000);
    let seq = 0;
    for (let round = 0; round < 300; round++) {
      const lines = Array.from({ length: 1 + (round % 37) }, () => `line ${seq++} ${'x'.repeat(round % 90)}`);
      push(r, round, Buffer.from(lines.join('\n') + '\n'));
    }
    const tail = r.tail().map((x) => x.line.toString());
    const last = tail.map((l) => Number(l.split(' ')[1]));
    expect(last[last.length - 1]).toBe(seq - 1);
    last.forEach((n, i) => i > 0 && expect(n).toBe(last[i - 1] + 1));
    expect(tail.reduce((a, l) => a + l.length, 0)).toBeLessThanOrEqual(50_000);
    expect(tail.reduce((a, l) => a + l.length + 1, 0)).toBeGreaterThan(40_000);
    expect((r as unknown as { buf: Buffer }).buf.length).toBeLessThanOrEqual(50_000);
  });
});

describe('ByteRing', () => {
  it('keeps the last maxBytes bytes', () => {
    const b = new ByteRing(5);
    b.push(Buffer.from('abc'));
    b.push(Buffer.from('defg'));
    expect(b.contents().toString()).toBe('cdefg');
  });
});

describe('RecordRing keeps its last maxLines lines, not maxBytes, of short lines', () => {
  it('a flood of 100-byte lines leaves a buffer near maxLines × 100 bytes, and tail still gives maxLines lines', () => {
    const ring = new RecordRing('flood', 1000, 1024 * 1024);
    const line = (i: number): string => `${String(i).padStart(9, '0')} ${'x'.repeat(89)}\n`;
    let i = 0;
    for (let b = 0; b < 2000; b++) {
      let chunk = '';
      for (let k = 0; k < 40; k++) chunk += line(i++);
      ring.push('stdout', b, { data: Buffer.from(chunk), maxLine: 64 * 1024, stripCR: false });
    }
    expect(ring.capacity).toBeLessThanOrEqual(256 * 1024);
    const tail = ring.tail();
    expect(tail).toHaveLength(1000);
    expect(tail[999].line.toString()).toBe(line(i - 1).slice(0, -1));
    expect(tail[0].line.toString()).toBe(line(i - 1000).slice(0, -1));
  });

  it('counts an unterminated last line, and the JS count matches the addon', async () => {
    const { countLinesJs } = await import('../../../src/output/lines.js');
    const { outputAddon } = await import('../../../src/output/native.js');
    for (const s of ['', 'a', 'a\n', 'a\nb', '\n\n', 'abc\ndef\n']) {
      const n = (s.match(/\n/g) ?? []).length + (s.length > 0 && !s.endsWith('\n') ? 1 : 0);
      expect(countLinesJs(Buffer.from(s))).toBe(n);
      const addon = outputAddon();
      if (addon?.countLines) expect(addon.countLines(Buffer.from(s))).toBe(n);
    }
  });
});
