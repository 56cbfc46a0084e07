/**
 * A crash-looping program restarted 1,000 times (10,000 with PROCINIT_LONG=1): procinit's resident memory
 * and open file descriptors stay flat from start to end, and the line each short run prints still arrives.
 *
 * It runs a supervisord config with startsecs=0 and autorestart=true, so each exit is a RUNNING exit and the
 * program is started again at once (a Procfile with -r would back off exponentially up to 10 s between
 * restarts, too slow to reach 10,000). Restarts are counted through the control socket (`status`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProcinit, tempDir, until } from '../helpers/procinit.js';
import { fdCount, mb, pause, report, rssKb, scaled } from './support/measure.js';
import { RawClient } from './support/socket-client.js';

const RESTARTS = scaled(1_000, 10_000);
/** Restarts before the first measurement: V8 sizes its heap during the first thousand or so. */
const WARMUP = scaled(200, 1_000);

interface Window {
  restarts: number;
  rssMinKb: number;
  rssMaxKb: number;
  fdsMin: number;
  fdsMax: number;
}

/** Sample RSS and fds 20 times over a second (a restart may be holding a new child's pipes at any sample). */
async function sampleWindow(pid: number, restarts: () => Promise<number>): Promise<Window> {
  const rss: number[] = [];
  const fds: number[] = [];
  for (let i = 0; i < 20; i++) {
    rss.push(rssKb(pid)!);
    fds.push(fdCount(pid)!);
    await pause(50);
  }
  return { restarts: await restarts(), rssMinKb: Math.min(...rss), rssMaxKb: Math.max(...rss), fdsMin: Math.min(...fds), fdsMax: Math.max(...fds) };
}

describe('crash loop: flat memory and file descriptors', () => {
  it(`restarts a crashing program ${RESTARTS.toLocaleString('en')} times`, async () => {
    const dir = tempDir();
    const sock = join(dir, 'sock');
    writeFileSync(
      join(dir, 'supervisord.conf'),
      [
        '[supervisord]',
        'nodaemon=true',
        '',
        '[program:crash]',
        `command=/bin/sh -c "echo crash run; exit 3"`,
        'startsecs=0',
        'autorestart=true',
        'stdout_logfile=/dev/stdout',
        'stdout_logfile_maxbytes=0',
        'stderr_logfile=/dev/stderr',
        'stderr_logfile_maxbytes=0',
        '',
        '[program:web]',
        'command=sleep 600',
        'stdout_logfile=/dev/stdout',
        'stdout_logfile_maxbytes=0',
        '',
      ].join('\n'),
    );
    const p = startProcinit(['-c', 'supervisord.conf', '--socket', sock], { cwd: dir });
    await p.waitFor("spawned: 'crash'");
    const client = await RawClient.open(sock);
    let id = 0;
    const restarts = async (): Promise<number> => {
      const r = await client.request(++id, 'status', { names: ['crash'] });
      return (r.result as { processes: Array<{ restarts: number }> }).processes[0].restarts;
    };
    let n = 0;
    const reach = async (target: number, timeoutMs: number): Promise<void> => {
      const t = Date.now();
      while ((n = await restarts()) < target) {
        if (Date.now() - t > timeoutMs) throw new Error(`only ${n} restarts of ${target} within ${timeoutMs} ms`);
        await pause(100);
      }
    };
    await reach(WARMUP, 60_000);
    const start = await sampleWindow(p.pid, restarts);
    const t0 = Date.now();
    await reach(RESTARTS / 2, scaled(120_000, 900_000));
    const mid = await sampleWindow(p.pid, restarts);
    await reach(RESTARTS, scaled(120_000, 900_000));
    const seconds = (Date.now() - t0) / 1000;
    const end = await sampleWindow(p.pid, restarts);
    client.destroy();
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);

    // every short run's line arrived (the last may have been stopped before it printed)
    const starts = p.count(/spawned: 'crash' with pid/);
    const printed = p.count(/^crash run$/m); // raw, as supervisord passes /dev/stdout output on
    expect(starts).toBeGreaterThanOrEqual(RESTARTS);
    expect(printed).toBeGreaterThanOrEqual(starts - 1);
    expect(printed).toBeLessThanOrEqual(starts);
    // flat: no file descriptor leaks per restart; memory within V8's heap sizing, and no climb in the second half
    expect(end.fdsMin).toBeLessThanOrEqual(start.fdsMax);
    expect(mid.fdsMin).toBeLessThanOrEqual(start.fdsMax);
    expect(mb(end.rssMinKb - start.rssMaxKb)).toBeLessThan(48);
    expect(mb(end.rssMinKb - mid.rssMaxKb)).toBeLessThan(16);
    report('crash-loop', {
      restarts: end.restarts,
      restartsPerSecond: Math.round((end.restarts - start.restarts) / seconds),
      rssStartMb: `${mb(start.rssMinKb)}-${mb(start.rssMaxKb)}`,
      rssMidMb: `${mb(mid.rssMinKb)}-${mb(mid.rssMaxKb)}`,
      rssEndMb: `${mb(end.rssMinKb)}-${mb(end.rssMaxKb)}`,
      startAt: start.restarts,
      fdsStart: `${start.fdsMin}-${start.fdsMax}`,
      fdsMid: `${mid.fdsMin}-${mid.fdsMax}`,
      fdsEnd: `${end.fdsMin}-${end.fdsMax}`,
      linesPrinted: printed,
    });
  }, scaled(180_000, 1_200_000));
});
