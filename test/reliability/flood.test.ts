/**
 * Output flood: 8 programs writing 50,000 lines each (1,000,000 with PROCINIT_LONG=1) at full speed: ordinary
 * lines, empty lines, random bytes, lines of 100-300 KB, half of them ending without a final newline. Every
 * line must arrive whole and in order per program (count + SHA-256 per program against what the program
 * says it wrote), and procinit's resident memory must stay bounded (sampled every 100 ms).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/procinit.js';
import { floodProcfile, readSum, startFlood } from './support/flood.js';
import { mb, report, Sampler, scaled } from './support/measure.js';

const PROGRAMS = 8;
const LINES = scaled(50_000, 1_000_000);
/** Peak RSS allowed: Node's own ~50 MB plus the 4 MiB output queue and a few 64 KiB buffers per pipe. */
const RSS_LIMIT_MB = 200;

describe('flood: every line of 8 programs arrives, whole and in order', () => {
  it(`${PROGRAMS} programs x ${LINES.toLocaleString('en')} lines`, async () => {
    const dir = tempDir();
    const types = Array.from({ length: PROGRAMS }, (_, i) => `w${i}`);
    writeFileSync(join(dir, 'Procfile'), floodProcfile(dir, types, LINES, (i) => i % 2 === 1));
    const t0 = Date.now();
    const run = startFlood(dir, ['--can-die', 'all', '--socket', join(dir, 'sock')], types.map((t) => `${t}.1`));
    const sampler = new Sampler(run.child.pid!, 100);
    const code = await run.exited;
    sampler.stop();
    const ms = Date.now() - t0;
    expect(code, run.stderr()).toBe(0);
    const got = run.checker.result();
    let lines = 0;
    let bytes = 0;
    for (const t of types) {
      const sum = readSum(join(dir, `${t}.sum`));
      const r = got.get(`${t}.1`)!;
      expect({ program: t, lines: r.lines, sha256: r.sha256, unfinishedParts: r.unfinishedParts }).toEqual({
        program: t,
        lines: sum.lines,
        sha256: sum.sha256,
        unfinishedParts: 0,
      });
      lines += sum.lines;
      bytes += sum.bytes;
    }
    expect(mb(sampler.peakRssKb)).toBeLessThan(RSS_LIMIT_MB);
    report('flood', {
      programs: PROGRAMS,
      linesPerProgram: LINES,
      totalLines: lines,
      programBytesMb: Math.round(bytes / 1048576),
      outputBytesMb: Math.round(run.checker.totalBytes / 1048576),
      seconds: ms / 1000,
      mbPerSecond: Math.round(run.checker.totalBytes / 1048576 / (ms / 1000)),
      rssPeakMb: mb(sampler.peakRssKb),
      samples: sampler.samples,
    });
  }, scaled(120_000, 1_200_000));
});
