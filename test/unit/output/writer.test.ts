import { describe, expect, it } from 'vitest';
import { openSync, readFileSync, closeSync } from 'node:fs';
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

  it('reports congestion above the high-water mark and drains after', async () => {
    const file = join(tempDir(), 'out');
    const fd = openSync(file, 'w');
    const w = new FdWriter(fd, 100);
    const events: string[] = [];
    w.on('congested', () => events.push('congested'));
    w.on('drain', () => events.push('drain'));
    for (let i = 0; i < 50; i++) w.write(Buffer.alloc(10, 97));
    expect(w.congested).toBe(true);
    await w.flush();
    expect(events).toEqual(['congested', 'drain']);
    expect(w.congested).toBe(false);
    closeSync(fd);
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
