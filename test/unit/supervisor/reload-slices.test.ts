/**
 * A reload that adds 5,000 included files (issue 16, item 11) is parsed in a worker thread and applied in
 * slices: the event loop is never held for more than a slice's worth of work, and the parsing's CPU is not
 * the main thread's. Measured in CPU time of this thread (/proc/thread-self/schedstat: the worker's CPU,
 * V8's GC helper threads and other jobs on the machine do not count; process.cpuUsage, used before, counted
 * them all).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadRun, loadRunSliced } from '../../../src/config/load.js';
import { loadRunOffThread, useConfigWorker } from '../../../src/config/load-worker.js';
import { defaultLoadOptions, type LoadOptions } from '../../../src/config/options.js';
import { silentLogger } from '../../../src/output/log.js';
import { applyReload, type ReloadSummary } from '../../../src/supervisor/reload.js';
import { Supervisor } from '../../../src/supervisor/supervisor.js';
import { FakeClock, FakeLauncher } from '../../helpers/fakes.js';
import { tempDir } from '../../helpers/procinit.js';

/** CPU time of the calling thread, ms (the kernel's schedstat: nanoseconds on a CPU). */
function threadCpuMs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
}

/** Run work while measuring the longest CPU stretch (ms) between two turns of the event loop. */
async function longestStretch<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; turns: number }> {
  let running = true;
  let max = 0;
  let turns = 0;
  let last = threadCpuMs();
  const tick = (): void => {
    const now = threadCpuMs();
    max = Math.max(max, now - last);
    last = now;
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { result: await work(), ms: max, turns };
  } finally {
    running = false;
  }
}

/**
 * The longest stretch is mostly V8's scavenges of what the reload keeps (5,000 programs and their
 * instances: everything allocated survives); this thread's CPU is read from schedstat, which the kernel
 * updates at each scheduler tick (4 ms at HZ=250): figures are within a tick.
 */
const LONGEST_MS = 35;

/** A supervisor of one program, and 5,000 more included files for it to reload. */
function reloadable(): { supervisor: Supervisor; opts: LoadOptions } {
  const dir = tempDir();
  writeFileSync(join(dir, 'supervisord.conf'), '[supervisord]\n[program:base]\ncommand=sleep 300\n[include]\nfiles = conf.d/*.conf\n');
  mkdirSync(join(dir, 'conf.d'));
  const opts = defaultLoadOptions({ cwd: dir, config: 'supervisord.conf', env: { PATH: '/usr/bin:/bin' } });
  const clock = new FakeClock();
  const launcher = new FakeLauncher(clock);
  const supervisor = new Supervisor(loadRun(opts), { log: silentLogger(), launcher, clock, signal: () => {} });
  for (let i = 0; i < 5000; i++) writeFileSync(join(dir, 'conf.d', `p${i}.conf`), `[program:p${i}]\ncommand=sleep 300\nstartsecs=0\n`);
  return { supervisor, opts };
}

const reloadWith = (worker: boolean, supervisor: Supervisor, opts: LoadOptions): Promise<ReloadSummary> => {
  useConfigWorker(worker);
  return (worker ? loadRunOffThread(opts) : loadRunSliced(opts)).then((run) => applyReload(supervisor, run)).finally(() => useConfigWorker(null));
};

for (const [path, worker] of [['parsed in a worker thread', true], ['parsed on the main thread (no worker to be had)', false]] as const) {
  it(`reads and applies 5,000 added included files, ${path}, the loop never held for ${LONGEST_MS} ms`, async () => {
    const { supervisor, opts } = reloadable();
    for (const round of ['adding 5,000', 'all 5,001 unchanged']) {
      const { result, ms, turns } = await longestStretch(() => reloadWith(worker, supervisor, opts));
      console.log(`[reliability] reload ${round}, ${path}: longest CPU stretch ${ms.toFixed(1)} ms over ${turns} turns of the loop`);
      // 9-22 ms measured (both paths, load 4-7; the old code: 12-20 ms on this measure, 22-30 ms in a real procinit)
      expect(ms, round).toBeLessThan(LONGEST_MS);
      expect(supervisor.instances).toHaveLength(5001);
      if (round.startsWith('adding')) expect(result.added).toHaveLength(5000);
      else expect(result.unchanged).toHaveLength(5001);
    }
  }, 120_000);
}

it('the parsing leaves the main thread: 1,000 included files of 10 processes each cost it well under the CPU of parsing there', async () => {
  // the main thread still reads the files and asks their stat questions (thread pool, with the timeout): few
  // files of many processes each show what the parsing itself costs
  const dir = tempDir();
  writeFileSync(join(dir, 'supervisord.conf'), '[supervisord]\n[program:base]\ncommand=sleep 300\n[include]\nfiles = conf.d/*.conf\n');
  mkdirSync(join(dir, 'conf.d'));
  for (let i = 0; i < 1000; i++) {
    writeFileSync(join(dir, 'conf.d', `p${i}.conf`), `[program:p${i}]\ncommand=sleep 300 %(process_num)d\nnumprocs=10\nprocess_name=%(program_name)s_%(process_num)d\nenvironment=A="%(process_num)d",B="b"\n`);
  }
  const opts = defaultLoadOptions({ cwd: dir, config: 'supervisord.conf', env: { PATH: '/usr/bin:/bin' } });
  const cpu = { main: Infinity, worker: Infinity };
  for (const worker of [false, true, false, true]) {
    useConfigWorker(worker);
    const before = threadCpuMs();
    const run = await (worker ? loadRunOffThread(opts) : loadRunSliced(opts));
    const ms = threadCpuMs() - before;
    useConfigWorker(null);
    expect(run.programs).toHaveLength(1001);
    if (worker) cpu.worker = Math.min(cpu.worker, ms);
    else cpu.main = Math.min(cpu.main, ms);
  }
  console.log(`[reliability] loading 1,000 included files of 10 processes: ${Math.round(cpu.main)} ms of the main thread's CPU parsing there, ${Math.round(cpu.worker)} ms with the worker (reading the files, taking the run back)`);
  expect(cpu.worker).toBeLessThan(cpu.main * 0.5);
}, 120_000);
