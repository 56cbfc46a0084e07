import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeEvent } from '../../../src/events/stdin.js';

describe('writeEvent', () => {
  it('never blocks on a listener that does not read: what the pipe does not take waits in the socket, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stdin-'));
    const go = join(dir, 'go');
    // deaf until `go` exists, then it copies its stdin to its stdout
    const child = spawn('sh', ['-c', `while [ ! -e ${go} ]; do sleep 0.01; done; exec cat`], { stdio: ['pipe', 'pipe', 'ignore'] });
    const got: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => got.push(c));
    const big = Buffer.alloc(1024 * 1024, 'a'); // far more than a pipe holds
    const t0 = Date.now();
    writeEvent(child.stdin, big);
    writeEvent(child.stdin, Buffer.from('after'));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(child.stdin.writableLength).toBeGreaterThan(0); // the rest waits in the socket
    writeFileSync(go, '');
    child.stdin.end();
    await new Promise((r) => child.stdout.once('end', r));
    const all = Buffer.concat(got);
    expect(all.length).toBe(big.length + 5);
    expect(all.subarray(0, big.length).equals(big)).toBe(true);
    expect(all.subarray(big.length).toString()).toBe('after');
    child.kill();
  });

  it('a listener that is gone: nothing thrown, nothing written (its exit brings the event back)', async () => {
    const child = spawn('true', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.on('error', () => {});
    await new Promise((r) => child.once('exit', r));
    expect(() => writeEvent(child.stdin, Buffer.from('x'))).not.toThrow();
  });
});
