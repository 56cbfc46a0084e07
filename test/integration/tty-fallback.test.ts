/** --tty without a loadable node-pty: one line, and the program runs on pipes instead of going FATAL. */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun, type Run } from './control-harness.js';

const runs: Run[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

describe('--tty when node-pty cannot load', () => {
  it('says so once per program and runs it on pipes', async () => {
    const r = await startRun({ Procfile: 'web: if [ -t 1 ]; then echo on a tty; else echo on pipes; fi; exec sleep 100\n' }, ['--tty', 'web', '-t', '1'], {
      PROCINIT_PTY_ADDON: '/etc/hostname', // not a shared library: dlopen fails as it would for a missing prebuild
    });
    runs.push(r);
    await r.w.waitFor(/web\.1 +\| on pipes/);
    const warn = r.w.stdout.split('\n').filter((l) => /no terminal/.test(l));
    expect(warn).toEqual([expect.stringMatching(/^procinit \| warn: web\.1: no terminal, running it on pipes: terminal support is unavailable: cannot load node-pty \(.*\/etc\/hostname.*\)$/)]);
    expect((await r.ctl('status', 'web')).code).toBe(0);
  });

  it('(control) with node-pty loadable the same program has its terminal', async () => {
    const r = await startRun({ Procfile: 'web: if [ -t 1 ]; then echo on a tty; else echo on pipes; fi; exec sleep 100\n' }, ['--tty', 'web', '-t', '1']);
    runs.push(r);
    await r.w.waitFor(/web\.1 +\| on a tty/);
  });
});
