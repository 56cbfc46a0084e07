/**
 * Config and timer faults with procinit as PID 1 (issue 16, items 2, 3, 4): a reload whose Procfile is
 * gone (deleted, a dangling symlink, a supervisord.conf beside it) or is a FIFO is refused and nothing
 * changes; reaping and `status` go on meanwhile. Durations above 2^31-1 ms are honoured, never cut to 1 ms.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir, until } from '../helpers/procinit.js';
import { canUnshare, childrenOf, startAsPid1 } from '../helpers/pidns.js';
import { ctl, parseTable } from '../integration/control-harness.js';

const IDLE = `echo ready; exec sleep 300`;

describe.skipIf(!canUnshare())('config faults, procinit as PID 1', () => {
  it('reload with the Procfile gone, dangling, beside a supervisord.conf, or a FIFO: refused, nothing changes, reaping goes on', async () => {
    const dir = fixtureDir({
      Procfile: `web: ${IDLE}\norphans: while :; do (sleep 0.05 &); sleep 0.1; done\n`,
      'supervisord.conf': '[supervisord]\n[program:other]\ncommand=sleep 300\n',
    });
    const sock = join(dir, 'ctl.sock');
    const run = await startAsPid1(['--socket', sock], dir);
    const c = (...args: string[]) => ctl([...args, '--socket', sock]);
    try {
      await run.watched.waitFor(/web\.1 +\| ready/);
      const pids = async () => (JSON.parse((await c('status', '--json')).stdout) as Array<{ name: string; pid: number }>).map((p) => `${p.name}:${p.pid}`);
      const before = await pids();
      const procfile = join(dir, 'Procfile');
      const cases: Array<[string, () => void, RegExp]> = [
        ['deleted (a supervisord.conf beside it)', () => {}, /Procfile: no such file/],
        ['a dangling symlink', () => symlinkSync(join(dir, 'gone'), procfile), /Procfile: no such file/],
        ['a FIFO nobody writes', () => execFileSync('mkfifo', [procfile]), /Procfile: is a FIFO, not a regular file/],
      ];
      for (const [what, make, message] of cases) {
        rmSync(procfile, { force: true });
        make();
        const t0 = Date.now();
        const r = await c('reload');
        expect(`${r.code} ${r.stderr}`, what).toMatch(/^2 /);
        expect(r.stderr, what).toMatch(/^procinit: reload refused, nothing changed: /);
        expect(r.stderr, what).toMatch(message);
        expect(Date.now() - t0, what).toBeLessThan(5000);
        const status = await c('status');
        expect(status.code, what).toBe(0);
        expect(Object.keys(parseTable(status.stdout)), what).toEqual(['web.1', 'orphans.1']);
        expect(await pids(), what).toEqual(before); // nothing restarted
      }
      expect(run.watched.output).not.toMatch(/other|removed|stopping/);
      // the orphans kept being reaped all along
      await until(() => run.zombies().length === 0, 5000, 'no zombies');
    } finally {
      run.signal('SIGTERM');
    }
    expect((await run.watched.exit()).code).toBe(0);
  });

  it('-t 3000000 (beyond 2^31-1 ms): a program that ignores SIGTERM is not SIGKILLed after 1 ms; no Node warning', async () => {
    const dir = fixtureDir({ Procfile: `stubborn: trap '' TERM; echo ready; while :; do sleep 0.05; done\n` });
    const run = await startAsPid1(['-t', '3000000'], dir);
    await run.watched.waitFor(/stubborn\.1 +\| ready/);
    run.signal('SIGTERM');
    await run.watched.waitFor(/stubborn\.1 stopping/);
    // about a second later it is still there (the overflow killed it after about 1 ms)
    await new Promise((r) => setTimeout(r, 1000));
    expect(run.watched.output).not.toMatch(/: SIGKILL$|stubborn\.1 stopped/m);
    expect(childrenOf(run.outerPid).length).toBe(1);
    run.signal('SIGINT');
    run.signal('SIGINT'); // a second SIGINT kills at once
    await run.watched.exit();
    expect(run.watched.output).not.toMatch(/TimeoutOverflowWarning|does not fit into a 32-bit/);
  });
});
