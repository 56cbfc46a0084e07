/**
 * The limits monitor samples thousands of running instances in slices (issue 16, item 11): each instance is
 * a few /proc files, and a `status` (watch) or a sampling round over 1,000 running programs held the event
 * loop for 40-70 ms of CPU at once. A /proc of 3,000 processes is laid out in a folder (deps.proc).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { LimitMonitor } from '../../../../src/health/limits/monitor.js';
import type { ProcessInstance } from '../../../../src/supervisor/instance.js';
import type { LaunchedChild } from '../../../../src/supervisor/spawn.js';
import { tempDir } from '../../../helpers/procinit.js';

const threadCpuMs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;

it('samples 3,000 running instances without holding the event loop for 20 ms, every one of them sampled', async () => {
  const proc = tempDir();
  const N = 3000;
  const instances: ProcessInstance[] = [];
  for (let pid = 1000; pid < 1000 + N; pid++) {
    mkdirSync(join(proc, String(pid), 'task', String(pid)), { recursive: true });
    writeFileSync(join(proc, String(pid), 'task', String(pid), 'children'), '');
    writeFileSync(join(proc, String(pid), 'stat'), `${pid} (sleep) S 1 1 1 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 100 1000000 200\n`);
    writeFileSync(join(proc, String(pid), 'status'), 'Name:\tsleep\nVmRSS:\t     512 kB\n');
  }
  const monitor = new LimitMonitor({
    limitsOf: () => ({ memoryBytes: null, cpu: null }),
    detect: () => ({ ok: false, reason: 'test' }),
    log: () => {},
    kill: () => {},
    periodMs: 60_000,
    now: () => Date.now(),
    proc,
  });
  for (let i = 0; i < N; i++) {
    const inst = { name: `p${i}`, spec: { name: `p${i}` } } as unknown as ProcessInstance;
    const child = { pid: 1000 + i, onExit: () => {} } as unknown as LaunchedChild;
    monitor.onSpawn(inst, child);
    instances.push(inst);
  }

  let longest = 0;
  let last = threadCpuMs();
  let ticking = true;
  const tick = (): void => {
    const now = threadCpuMs();
    longest = Math.max(longest, now - last);
    last = now;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const before = threadCpuMs();
  monitor.watch(); // a status asks: the first sample of every instance
  const inWatch = threadCpuMs() - before;
  const sampled = (): number => instances.filter((i) => monitor.usage(i).memory !== null).length;
  while (sampled() < N) await new Promise((r) => setTimeout(r, 5));
  ticking = false;
  await monitor.close();
  console.log(`[reliability] limits monitor, 3,000 instances: watch() ${inWatch.toFixed(1)} ms, longest CPU stretch ${longest.toFixed(1)} ms`);
  expect(monitor.usage(instances[N - 1]).memory).toBe(512 * 1024);
  // a slice is 5 ms of /proc reads; schedstat moves in 4 ms ticks. All at once it was 100+ ms here.
  expect(inWatch).toBeLessThan(20);
  expect(longest).toBeLessThan(20);
}, 60_000);
