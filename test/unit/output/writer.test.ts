import { describe, expect, it } from 'vitest';
import { openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { outputPipePair } from '../../../src/output/pipe.js';
import { join } from 'node:path';
import { FdWriter } from '../../../src/output/writer.js';
import { tempDir } from '../../helpers/procinit.js';

describe('FdWriter', () => {
  it('writes everything in order and flush() resolves after', async () => {
    const file = join(tempDir(), 'out');
    const fd = openSync(file, 'w');
    const w = new FdWriter(fd, 1024);
    for (let i = 0; i < 1000; i++) w.write(Buffer.from(`line ${i}\n`));
    await w.flush();
    closeSync(fd);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1000);
    lines.forEach((l, i) => expect(l).toBe(`line ${i}`));
  });

  it('reports congestion above the high-water mark and drains after (a pipe: its writes wait for the reader)', async () => {
    const [r, fd] = outputPipePair()!;
    const w = new FdWriter(fd, 100);
    const events: string[] = [];
    w.on('congested', () => events.push('congested'));
    w.on('drain', () => events.push('drain'));
    for (let i = 0; i < 50; i++) w.write(Buffer.alloc(10, 97));
    expect(w.congested).toBe(true);
    await w.flush();
    expect(events).toEqual(['congested', 'drain']);
    expect(w.congested).toBe(false);
    expect(readSync(r, Buffer.alloc(1000))).toBe(500);
    closeSync(fd);
    closeSync(r);
  });

  it('writes a regular file at once: it is never congested, and flush() has nothing to wait for', async () => {
    const file = join(tempDir(), 'out');
    const fd = openSync(file, 'w');
    const w = new FdWriter(fd, 100);
    let congested = false;
    w.on('congested', () => (congested = true));
    for (let i = 0; i < 50; i++) w.write(Buffer.alloc(10, 97));
    expect(w.pendingBytes).toBe(0);
    expect(w.written).toBe(500);
    expect(congested).toBe(false);
    await w.flush();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('a'.repeat(500));
  });

  it('keeps the order of writeWith and write, through slabs filled, reused and outgrown', async () => {
    const file = join(tempDir(), 'out');
    const fd = openSync(file, 'w');
    const w = new FdWriter(fd, 64 * 1024);
    const want: string[] = [];
    const fillText = (text: string) => (buf: Buffer, off: number) => (buf.length - off < text.length ? -text.length : buf.write(text, off));
    for (let i = 0; i < 20_000; i++) {
      const text = i % 997 === 0 ? `big ${i} ${'x'.repeat(300_000)}\n` : `line ${i}\n`;
      want.push(text);
      if (i % 3 === 0) w.write(Buffer.from(text));
      else w.writeWith(fillText(text));
      if (i % 5000 === 0) await w.flush();
    }
    await w.flush();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(want.join(''));
  });

  it('reuses its slabs once their bytes are out: streaming allocates nothing new', async () => {
    const fd = openSync('/dev/null', 'w');
    const w = new FdWriter(fd);
    const line = Buffer.alloc(100_000, 97);
    const fill = (buf: Buffer, off: number): number => (buf.length - off < line.length ? -line.length : line.copy(buf, off));
    const slabs = new Set<ArrayBufferLike>();
    const watch = (buf: Buffer, off: number): number => (slabs.add(buf.buffer), fill(buf, off));
    let early = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 10; i++) w.writeWith(watch);
      await w.flush();
      if (round === 10) early = slabs.size;
    }
    closeSync(fd);
    // 1 MB queued at once needs a few 256 KiB slabs; after that the same ones come back
    expect(early).toBeLessThanOrEqual(6);
    expect(slabs.size).toBe(early);
  });

  it('survives a reader that went away (EPIPE) and stops writing', async () => {
    const w = new FdWriter(9999); // not an open fd: EBADF
    let broken = false;
    w.on('broken', () => (broken = true));
    w.write(Buffer.from('x'));
    await w.flush();
    expect(broken).toBe(true);
    w.write(Buffer.from('y'));
    await w.flush();
  });
});
