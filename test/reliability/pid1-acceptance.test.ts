/**
 * PID-1 acceptance, black-box, beyond test/pid1/: procinit as PID 1 of a real PID namespace
 * (`unshare --pid --fork --mount-proc`), in Procfile mode and in tini mode (`procinit -- CMD`):
 * - 10,000 orphans created in a burst: 0 zombies afterwards (and how long reaping took);
 * - orphans that all die at the same moment (1,000; 10,000 with PROCINIT_LONG=1): 0 zombies;
 * - a child that exits while procinit is stopping others is reaped and reported; so is an orphan;
 * - procinit does not exit while a program it started is still cleaning up after its stop signal;
 * - 1,000 signals in one second at PID 1: forwarded, counted, and procinit stays healthy.
 * Leftover processes after a run that is not PID 1 are checked in leftovers.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir, tempDir, until } from '../helpers/procinit.js';
import { canUnshare, startAsPid1, type Pid1Run } from '../helpers/pidns.js';
import { childPids, mb, pause, procState, report, rssKb, Sampler, scaled, zombieChildren } from './support/measure.js';
import { RawClient } from './support/socket-client.js';
import { ORPHANS_SH, TOGETHER_SH, USR1_COUNTER_JS, writeScript } from './support/scripts.js';

const unshareOk = canUnshare();
const BURST = 10_000;
const TOGETHER = scaled(1_000, 10_000);

/** Children of PID 1 that are alive (not zombies). */
function liveChildren(run: Pid1Run): number[] {
  return childPids(run.outerPid).filter((p) => procState(p) !== 'Z');
}

/**
 * Watch the zombies of PID 1 while `done` is awaited, then until there are none and only `keep` live children
 * are left. Returns the most zombies seen at once and how long clearing took after `done`.
 */
async function watchReaping(run: Pid1Run, done: Promise<unknown>, keep: number): Promise<{ maxZombies: number; clearMs: number }> {
  let maxZombies = 0;
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    maxZombies = Math.max(maxZombies, zombieChildren(run.outerPid).length);
    await pause(50);
  }
  const t0 = Date.now();
  await until(() => {
    const z = zombieChildren(run.outerPid).length;
    maxZombies = Math.max(maxZombies, z);
    return z === 0 && childPids(run.outerPid).length === keep;
  }, 60_000, `no zombies and ${keep} children of PID 1`);
  return { maxZombies, clearMs: Date.now() - t0 };
}

/**
 * Send `count` signals evenly over one second (one every 1000/count ms, kept to the clock by spinning between
 * sends). Returns how long sending took.
 */
function signalFlood(pid: number, sig: NodeJS.Signals, count: number): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    while (performance.now() < t0 + (i * 1000) / count) {
      /* spin: timers cannot pace 1 ms apart */
    }
    process.kill(pid, sig);
  }
  return Math.round(performance.now() - t0);
}

describe.skipIf(!unshareOk)('PID-1 acceptance: Procfile mode as PID 1', () => {
  it(`reaps ${BURST.toLocaleString('en')} orphans created in a burst: 0 zombies`, async () => {
    const dir = tempDir();
    writeScript(dir, 'orphans.sh', ORPHANS_SH);
    writeScript(dir, 'Procfile', `orphans: ./orphans.sh ${BURST}; exec sleep 300\n`);
    const t0 = Date.now();
    const run = await startAsPid1(['--socket', join(dir, 'sock')], dir);
    const burst = run.watched.waitFor(`burst of ${BURST} done`, 120_000);
    const { maxZombies, clearMs } = await watchReaping(run, burst, 1);
    const burstMs = Date.now() - t0 - clearMs;
    expect(zombieChildren(run.outerPid)).toEqual([]);
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    // procinit still saw its own child's exit: its status was not stolen by the reaper
    expect(run.watched.output).toMatch(/orphans\.1 stopped \(killed by SIGTERM\)/);
    report('pid1-procfile-orphan-burst', { orphans: BURST, burstMs, maxZombiesAtOnce: maxZombies, clearAfterBurstMs: clearMs });
  }, 180_000);

  it(`reaps ${TOGETHER.toLocaleString('en')} orphans that die at the same moment: 0 zombies`, async () => {
    const dir = tempDir();
    writeScript(dir, 'together.sh', TOGETHER_SH);
    writeScript(dir, 'Procfile', `orphans: ./together.sh ${TOGETHER} ./fifo; exec sleep 300\n`);
    const run = await startAsPid1(['--socket', join(dir, 'sock')], dir);
    await run.watched.waitFor(`orphans waiting: ${TOGETHER}`, 120_000);
    const released = run.watched.waitFor(`released ${TOGETHER} orphans`, 60_000);
    const t0 = Date.now();
    const { maxZombies, clearMs } = await watchReaping(run, released, 1);
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    report('pid1-procfile-orphans-together', { orphans: TOGETHER, maxZombiesAtOnce: maxZombies, releaseToClearMs: Date.now() - t0, clearAfterReleaseMs: clearMs });
  }, 180_000);

  it('reaps and reports a program that exits by itself while procinit is stopping the others; reaps an orphan that exits then too', async () => {
    const dir = fixtureDir({
      // slow: takes 3 s to stop, so procinit stays in its stop ladder; it marks when the stop began
      // quick: ignores the stop signal and exits with 7 by itself once the stop has begun
      // daemon: leaves an orphan (own session) that exits by itself once the stop has begun
      Procfile: [
        `slow: trap 'touch stopping; sleep 3; echo slow done; exit 0' TERM; echo ready; while :; do sleep 0.05; done`,
        `quick: trap '' TERM; echo ready; while [ ! -e stopping ]; do sleep 0.02; done; sleep 0.3; exit 7`,
        `daemon: (setsid sh -c 'trap "" TERM; echo $$ > orphan.pid; while [ ! -e stopping ]; do sleep 0.02; done; sleep 0.3; exit 0' &); echo ready; exec sleep 300`,
        '',
      ].join('\n'),
    });
    const run = await startAsPid1(['-t', '10', '--socket', join(dir, 'sock')], dir);
    for (const name of ['slow', 'quick', 'daemon']) await run.watched.waitFor(new RegExp(`${name}\\.1 +\\| ready`));
    await until(() => existsSync(join(dir, 'orphan.pid')), 10_000, 'orphan pid file');
    run.signal('SIGTERM');
    await run.watched.waitFor(/quick\.1 stopped \(exited with code 7\)/, 10_000);
    // while slow is still stopping: quick (a program) and the orphan are both gone, no zombie left
    expect(run.watched.output).not.toMatch(/slow\.1 +\| slow done/);
    await until(() => zombieChildren(run.outerPid).length === 0 && liveChildren(run).length === 1, 5_000, 'only slow.1 left, no zombie');
    expect(run.watched.output).not.toMatch(/slow\.1 +\| slow done/);
    const exit = await run.watched.exit();
    expect(exit.code).toBe(0);
    expect(run.watched.output).toMatch(/slow\.1 +\| slow done/);
    expect(run.watched.output).toMatch(/slow\.1 stopped \(exited with code 0\)/);
  }, 60_000);

  it('does not exit while a program is still cleaning up after its stop signal', async () => {
    const dir = fixtureDir({
      Procfile: [
        `web: trap 'sleep 1.5; echo cleaned > web.done; exit 0' TERM; echo ready; while :; do sleep 0.05; done`,
        `worker: trap 'sleep 0.5; echo cleaned > worker.done; exit 0' TERM; echo ready; while :; do sleep 0.05; done`,
        '',
      ].join('\n'),
    });
    const run = await startAsPid1(['-t', '10', '--socket', join(dir, 'sock')], dir);
    await run.watched.waitFor(/web\.1 +\| ready/);
    await run.watched.waitFor(/worker\.1 +\| ready/);
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    // had procinit (PID 1) exited first, the kernel would have SIGKILLed them before they wrote these
    expect(readFileSync(join(dir, 'web.done'), 'utf8')).toBe('cleaned\n');
    expect(readFileSync(join(dir, 'worker.done'), 'utf8')).toBe('cleaned\n');
  }, 60_000);

  it('takes 1,000 SIGUSR1 in one second: forwards them, stays healthy, stops cleanly', async () => {
    const dir = tempDir();
    const counter = writeScript(dir, 'counter.js', USR1_COUNTER_JS);
    writeScript(dir, 'Procfile', `counter: exec ${process.execPath} ${counter} ${join(dir, 'count')}\n`);
    const sock = join(dir, 'sock');
    const run = await startAsPid1(['--socket', sock], dir, { NODE_OPTIONS: undefined });
    await run.watched.waitFor(/counter\.1 +\| ready/);
    const rssBefore = rssKb(run.outerPid);
    const sampler = new Sampler(run.outerPid, 50);
    const sendMs = signalFlood(run.outerPid, 'SIGUSR1', 1000);
    // healthy: the control socket answers and the program still runs
    const client = await RawClient.open(sock);
    const status = await client.request(1, 'status');
    client.destroy();
    expect(status.ok).toBe(true);
    expect((status.result as { processes: Array<{ state: string }> }).processes[0].state).toBe('RUNNING');
    // every signal procinit handled was logged and forwarded; one more after the flood still arrives
    await until(() => run.watched.count(/SIGUSR1 received/) > 0, 10_000, 'forwarded');
    const handledAtFlood = run.watched.count(/SIGUSR1 received/);
    await pause(200);
    const before = run.watched.count(/SIGUSR1 received/);
    run.signal('SIGUSR1');
    await until(() => run.watched.count(/SIGUSR1 received/) === before + 1, 10_000, 'one more SIGUSR1 handled');
    sampler.stop();
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    const received = Number(readFileSync(join(dir, 'count'), 'utf8'));
    // standard signals coalesce: a USR1 arriving while one is still pending is merged with it, at each hop
    // (test -> procinit -> program); only a gross loss would be a bug
    expect(received).toBeGreaterThanOrEqual(50);
    expect(received).toBeLessThanOrEqual(before + 1);
    expect(handledAtFlood).toBeLessThanOrEqual(1000);
    report('pid1-procfile-signal-flood', {
      sent: 1000,
      sendMs,
      handledByProcinit: before,
      receivedByProgram: received,
      rssBeforeMb: mb(rssBefore),
      rssPeakMb: mb(sampler.peakRssKb),
    });
  }, 60_000);
});

describe.skipIf(!unshareOk)('PID-1 acceptance: tini mode (procinit -- CMD) as PID 1', () => {
  it(`reaps ${BURST.toLocaleString('en')} orphans created in a burst: 0 zombies`, async () => {
    const dir = tempDir();
    const script = writeScript(dir, 'orphans.sh', ORPHANS_SH);
    const t0 = Date.now();
    const run = await startAsPid1(['--', 'sh', '-c', `${script} ${BURST}; exec sleep 300`], dir);
    const burst = run.watched.waitFor(`burst of ${BURST} done`, 120_000);
    const { maxZombies, clearMs } = await watchReaping(run, burst, 1);
    const burstMs = Date.now() - t0 - clearMs;
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(143);
    report('pid1-tini-orphan-burst', { orphans: BURST, burstMs, maxZombiesAtOnce: maxZombies, clearAfterBurstMs: clearMs });
  }, 180_000);

  it('waits for the child to finish its cleanup after SIGTERM, reaping an orphan that exits meanwhile', async () => {
    const dir = tempDir();
    const script = [
      `(setsid sh -c 'trap "" TERM; echo $$ > orphan.pid; while [ ! -e stopping ]; do sleep 0.02; done; sleep 0.2; exit 0' &)`,
      `trap 'touch stopping; sleep 1.5; echo cleaned > child.done; exit 3' TERM`,
      'echo ready',
      'while :; do sleep 0.05; done',
    ].join('; ');
    const run = await startAsPid1(['-t', '10', '--', 'sh', '-c', script], dir);
    await run.watched.waitFor('ready');
    await until(() => existsSync(join(dir, 'orphan.pid')), 10_000, 'orphan pid file');
    run.signal('SIGTERM');
    await until(() => existsSync(join(dir, 'stopping')), 10_000, 'stop began');
    // the orphan exits 0.2 s into the child's 1.5 s cleanup: reaped while the child still runs
    await until(() => zombieChildren(run.outerPid).length === 0 && liveChildren(run).length === 1, 5_000, 'only the child left, no zombie');
    expect(existsSync(join(dir, 'child.done'))).toBe(false);
    expect((await run.watched.exit()).code).toBe(3);
    expect(readFileSync(join(dir, 'child.done'), 'utf8')).toBe('cleaned\n');
  }, 60_000);

  it('takes 1,000 SIGUSR1 in one second and forwards them to the child', async () => {
    const dir = tempDir();
    const counter = writeScript(dir, 'counter.js', USR1_COUNTER_JS);
    const run = await startAsPid1(['--', process.execPath, counter, join(dir, 'count')], dir, { NODE_OPTIONS: undefined });
    await run.watched.waitFor('ready');
    const sampler = new Sampler(run.outerPid, 50);
    const sendMs = signalFlood(run.outerPid, 'SIGUSR1', 1000);
    sampler.stop();
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    const received = Number(readFileSync(join(dir, 'count'), 'utf8'));
    expect(received).toBeGreaterThanOrEqual(50); // signals coalesce (see above)
    expect(received).toBeLessThanOrEqual(1000);
    report('pid1-tini-signal-flood', { sent: 1000, sendMs, receivedByChild: received, rssPeakMb: mb(sampler.peakRssKb) });
  }, 60_000);
});
