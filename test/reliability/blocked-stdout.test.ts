/**
 * procinit's own stdout blocked: whoever reads it stops reading (a stuck log collector) while 4 programs flood.
 * procinit must apply back-pressure, not buffer and not drop: its memory stays flat, the programs block in
 * their writes (their progress stops), the control socket still answers (`procinit status`), and once the
 * reader resumes every line arrives, whole and in order. The reader stays stopped for 8 s (60 s with
 * PROCINIT_LONG=1): longer than the 5 s after which the writer used to give up on a full non-blocking pipe.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROCINIT_JS, tempDir, testEnv, until } from '../helpers/procinit.js';
import { floodProcfile, progress, readSum, startFlood } from './support/flood.js';
import { fdCount, mb, pause, report, rssKb, Sampler, scaled } from './support/measure.js';

const PROGRAMS = 4;
const LINES = scaled(50_000, 1_000_000);
const HOLD_MS = scaled(8_000, 60_000);

describe('blocked stdout: back-pressure, bounded memory, no line lost', () => {
  it(`${PROGRAMS} programs keep writing while nobody reads procinit's stdout for ${HOLD_MS / 1000} s`, async () => {
    const dir = tempDir();
    const types = Array.from({ length: PROGRAMS }, (_, i) => `b${i}`);
    const sums = types.map((t) => join(dir, `${t}.sum`));
    writeFileSync(join(dir, 'Procfile'), floodProcfile(dir, types, LINES, (i) => i === 0));
    const sock = join(dir, 'sock');
    const run = startFlood(dir, ['--can-die', 'all', '--socket', sock], types.map((t) => `${t}.1`));
    const pid = run.child.pid!;
    // let output flow a little, then stop reading
    await until(() => run.checker.totalBytes > 1_000_000, 30_000, 'first MB of output');
    run.child.stdout!.pause();
    const total = (): number => sums.reduce((n, s) => n + progress(s), 0);
    // the programs block once the pipes and procinit's 4 MiB queue are full: their progress stops
    let last = -1;
    let stableSince = Date.now();
    await until(() => {
      const now = total();
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      }
      return Date.now() - stableSince > 1000;
    }, 30_000, 'writers blocked');
    const blockedAt = total();
    expect(blockedAt).toBeLessThan(PROGRAMS * LINES); // they did not just finish
    const rssAtBlock = rssKb(pid)!;
    const fdsAtBlock = fdCount(pid)!;
    const sampler = new Sampler(pid, 100);
    const t0 = Date.now();
    await pause(HOLD_MS / 2);
    // the control socket answers while stdout is blocked (the real CLI, as a HEALTHCHECK would run it)
    const status = spawnSync(process.execPath, [PROCINIT_JS, 'status', '-s', sock], { env: testEnv(), encoding: 'utf8', timeout: 15_000 });
    const statusMs = Date.now() - t0 - HOLD_MS / 2;
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/b0\.1 +RUNNING/);
    await pause(HOLD_MS / 2);
    sampler.stop();
    // nothing moved while blocked: the programs waited, nothing was dropped
    expect(total()).toBe(blockedAt);
    const rssAtEnd = rssKb(pid)!;
    run.child.stdout!.resume();
    const code = await run.exited;
    expect(code, run.stderr()).toBe(0);
    const got = run.checker.result();
    for (const t of types) {
      const sum = readSum(join(dir, `${t}.sum`));
      const r = got.get(`${t}.1`)!;
      expect({ program: t, lines: r.lines, sha256: r.sha256 }).toEqual({ program: t, lines: sum.lines, sha256: sum.sha256 });
    }
    expect(run.checker.ownLines.join('\n')).not.toMatch(/dropp|broken|EAGAIN/i);
    // bounded: no growth while blocked beyond noise
    expect(mb(sampler.peakRssKb - rssAtBlock)).toBeLessThan(32);
    report('blocked-stdout', {
      programs: PROGRAMS,
      linesPerProgram: LINES,
      blockedSeconds: HOLD_MS / 1000,
      linesWrittenWhenBlocked: blockedAt,
      rssAtBlockMb: mb(rssAtBlock),
      rssPeakWhileBlockedMb: mb(sampler.peakRssKb),
      rssEndOfBlockMb: mb(rssAtEnd),
      fdsAtBlock,
      statusExit: status.status ?? -1,
      statusMs,
    });
  }, scaled(120_000, 600_000));
});
