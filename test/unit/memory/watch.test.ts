import { describe, expect, it } from 'vitest';
import { MemoryWatch } from '../../../src/memory/watch.js';

describe('MemoryWatch', () => {
  it('trims once RSS has grown past the last level by more than the growth share, then takes the new level', () => {
    let rss = 100;
    const trims: number[] = [];
    const w = new MemoryWatch({ growth: 0.1, rss: () => rss, trim: () => (trims.push(rss), (rss = 104), true) });
    w.check(); // first look: the reference
    rss = 109;
    w.check();
    expect(trims).toEqual([]); // within 10 %
    rss = 150;
    w.check();
    expect(trims).toEqual([150]);
    expect(w.trims).toBe(1);
    rss = 113; // within 10 % of what the trim left (104)
    w.check();
    expect(w.trims).toBe(1);
  });

  it('memory a trim cannot give back becomes the reference: no trim at every check under a real need', () => {
    let rss = 100;
    let trims = 0;
    const w = new MemoryWatch({ rss: () => rss, trim: () => (trims++, true) });
    w.check();
    rss = 200;
    w.check();
    w.check();
    w.check();
    expect(trims).toBe(1);
  });

  it('stops looking when there is nothing to trim with (no addon)', () => {
    let rss = 100;
    let calls = 0;
    const w = new MemoryWatch({ rss: () => rss, trim: () => (calls++, false) });
    w.start();
    w.check();
    rss = 500;
    w.check();
    w.check();
    expect(calls).toBe(1);
    w.stop();
  });

  it('gives memory back for real: garbage Buffers left by a burst go, RSS falls', () => {
    const w = new MemoryWatch({ growth: 0.05 });
    w.check();
    let junk: Buffer[] | null = [];
    for (let i = 0; i < 400; i++) junk.push(Buffer.alloc(256 * 1024, 1));
    const peak = process.memoryUsage.rss();
    junk = null;
    w.check();
    expect(w.trims).toBe(1);
    expect(process.memoryUsage.rss()).toBeLessThan(peak - 50 * 1024 * 1024);
  });
});
