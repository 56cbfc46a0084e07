/**
 * Config values at the edges, through the real CLI (issue 16, items 2, 3, 9, 10): NUL bytes, a config that
 * runs nothing, durations beyond 2^31-1 ms, and configs of 200,000 entries.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir, startProcinit } from '../helpers/procinit.js';
import { startRun } from './control-harness.js';

describe('config limits, real procinit', () => {
  it('a NUL in a Procfile command: one line with file:line, exit 2, nothing started', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo one\na: echo one\0; echo two\n' });
    const p = startProcinit([], { cwd: dir });
    expect((await p.exit()).code).toBe(2);
    expect(p.stderr).toBe(`procinit: ${join(dir, 'Procfile')}:2: NUL byte (\\0) in the file: a command or value would be cut short there\n`);
    expect(p.stdout).toBe('');
  });

  it('a NUL in a supervisord value: exit 2 with its line; check refuses it too', async () => {
    const dir = fixtureDir({ 'supervisord.conf': '[supervisord]\n[program:a]\ncommand=echo one\0two\n' });
    for (const args of [['-c', 'supervisord.conf'], ['check', '-c', 'supervisord.conf']]) {
      const p = startProcinit(args, { cwd: dir });
      expect((await p.exit()).code).toBe(2);
      expect(p.stderr).toMatch(/supervisord\.conf:3: NUL byte/);
    }
  });

  it('a supervisord.conf found by the search with no program: refused at start, exit 2', async () => {
    const dir = fixtureDir({ 'supervisord.conf': '[supervisord]\nloglevel=info\n' });
    const p = startProcinit([], { cwd: dir });
    expect((await p.exit()).code).toBe(2);
    expect(p.stderr).toBe(`procinit: ${join(dir, 'supervisord.conf')}: defines no program: nothing to run\n`);
  });

  it('startsecs=3000000 keeps the program STARTING (it was RUNNING at once); no Node warning', async () => {
    const conf = '[supervisord]\n[program:slow]\ncommand=sleep 300\nstartsecs=3000000\nstopwaitsecs=2200000\n';
    const run = await startRun({ 'supervisord.conf': conf }, ['-c', 'supervisord.conf']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const status = await run.ctl('status', '--json');
      expect((JSON.parse(status.stdout) as Array<{ state: string }>)[0].state).toBe('STARTING');
    } finally {
      await run.stop();
    }
    expect(run.w.output).not.toMatch(/TimeoutOverflowWarning|32-bit/);
    expect(run.w.output).not.toMatch(/SIGKILL/);
  });

  it('check handles 200,000 Procfile entries: every line printed, exit 0 (was a stack overflow)', async () => {
    const dir = fixtureDir({});
    writeFileSync(join(dir, 'Procfile'), Array.from({ length: 200_000 }, (_, i) => `p${i}: sleep 1`).join('\n') + '\n');
    const p = startProcinit(['check'], { cwd: dir });
    expect((await p.exit(60_000)).code).toBe(0);
    const lines = p.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/procfile, 200000 process\(es\)$/);
    expect(lines).toHaveLength(200_001);
    expect(lines.at(-1)).toMatch(/^ {2}p199999\.1 +sleep 1$/);
  }, 90_000);
});
