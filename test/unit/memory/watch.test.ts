import { describe, expect, it } from 'vitest';
import { MemoryWatch } from '../../../src/memory/watch.js';

describe('MemoryWatch', () => {
  it('trims gently once RSS has grown past the last level by more than the growth share; the next check takes the new level', () => {
    let rss = 100;
    const trims: string[] = [];
    const w = new MemoryWatch({ growth: 0.1, rss: () => rss, trim: (mode) => (trims.push(`${mode}@${rss}`), true) });
    w.check(); // first look: the reference
    rss = 109;
    w.check();
    expect(trims).toEqual([]); // within 10 %
    rss = 150;
    w.check();
    expect(trims).toEqual(['gentle@150']); // an incremental collection starts: no full GC stopping everything
    expect(w.trims).toBe(1);
    rss = 104; // what the collection left
    w.check();
    expect(trims).toEqual(['gentle@150', 'malloc@104']); // what it freed goes back; 104 is the new level
    rss = 113; // within 10 % of it
    w.check();
    expect(w.trims).toBe(1);
    rss = 120;
    w.check();
    expect(trims.at(-1)).toBe('gentle@120');
  });

  it('empties the caches it is given (the output pump buffers) before each gentle trim, and only then', () => {
    let rss = 100;
    const calls: string[] = [];
    const w = new MemoryWatch({ rss: () => rss, trim: (mode) => (calls.push(mode), true), release: () => calls.push('release') });
    w.check();
    rss = 105;
    w.check();
    expect(calls).toEqual([]);
    rss = 200;
    w.check();
    w.check();
    expect(calls).toEqual(['release', 'gentle', 'malloc']);
  });

  it('memory a trim cannot give back becomes the reference: no trim at every check under a real need', () => {
    let rss = 100;
    let trims = 0;
    const w = new MemoryWatch({ rss: () => rss, trim: (mode) => (mode === 'gentle' && trims++, true) });
    w.check();
    rss = 200;
    w.check();
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

  it('gives memory back for real: garbage Buffers left by a burst go, RSS falls, without a long pause', async () => {
    const w = new MemoryWatch({ growth: 0.05 });
    w.check();
    let junk: Buffer[] | null = [];
    for (let i = 0; i < 400; i++) junk.push(Buffer.alloc(256 * 1024, 1));
    const peak = process.memoryUsage.rss();
    junk = null;
    const began = performance.now();
    w.check();
    const pause = performance.now() - began;
    expect(w.trims).toBe(1);
    // the incremental collection runs on the event loop's turns; the next check gives back what it freed
    const deadline = Date.now() + 20_000;
    while (process.memoryUsage.rss() >= peak - 50 * 1024 * 1024 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      w.check();
    }
    expect(process.memoryUsage.rss()).toBeLessThan(peak - 50 * 1024 * 1024);
    expect(pause).toBeLessThan(1000); // starting it is quick (a full GC of vitest's heap took far longer)
  }, 30_000);
});
