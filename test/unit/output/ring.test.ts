import { describe, expect, it } from 'vitest';
import { ByteRing, RecordRing } from '../../../src/output/ring.js';

const rec = (i: number, size = 1) => ({ name: 'web.1', stream: 'stdout' as const, time: i, line: Buffer.alloc(size, 97) });

describe('RecordRing', () => {
  it('keeps the last maxLines records', () => {
    const r = new RecordRing(3, 1000);
    for (let i = 0; i < 10; i++) r.push(rec(i));
    expect(r.tail().map((x) => x.time)).toEqual([7, 8, 9]);
    expect(r.tail(2).map((x) => x.time)).toEqual([8, 9]);
  });

  it('keeps at most maxBytes (but always the newest record)', () => {
    const r = new RecordRing(100, 10);
    for (let i = 0; i < 10; i++) r.push(rec(i, 4));
    expect(r.tail().map((x) => x.time)).toEqual([8, 9]);
    r.push(rec(99, 50));
    expect(r.tail().map((x) => x.time)).toEqual([99]);
  });

  it('stays bounded over many pushes', () => {
    const r = new RecordRing(10, 1000);
    for (let i = 0; i < 100_000; i++) r.push(rec(i));
    expect(r.tail()).toHaveLength(10);
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
