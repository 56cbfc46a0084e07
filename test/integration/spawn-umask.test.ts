/**
 * umask= (supervisord's per-program umask) is set in the program, never in procinit: the process umask is
 * every thread's, so setting it around a spawn gave a file that libuv's threadpool (a log file, a reload's
 * read) created at that moment the program's mode. strace (without -f: procinit's own calls only, not its
 * children's) sees no umask(2) from procinit while the programs still get exactly their umask.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureDir, procinitArgv, until } from '../helpers/procinit.js';
import { haveStrace, startTraced, stopTraced, tracee, umaskCalls } from '../helpers/strace.js';

afterEach(stopTraced);

describe.skipIf(!haveStrace() && !process.env.CI)('umask= without a process-wide umask', () => {
  it('programs get their umask (program and [supervisord] level); procinit itself makes no umask(2) call', async () => {
    const dir = fixtureDir({});
    const trace = join(dir, 'strace.log');
    writeFileSync(
      join(dir, 'supervisord.conf'),
      `[supervisord]\nnodaemon=true\nlogfile=/dev/null\numask=027\n\n` +
        `[program:tight]\ncommand=sh -c "touch %(here)s/tight.out; umask > %(here)s/tight.umask; exec sleep 600"\numask=077\nstdout_logfile=NONE\n\n` +
        `[program:global]\ncommand=sh -c "touch %(here)s/global.out; exec sleep 600"\nstdout_logfile=NONE\n`,
    );
    const ctl = join(dir, 'ctl.sock');
    // no -f: only procinit's main thread, where process.umask() ran; the children's own umask(2) is not traced
    const p = startTraced(['-qq', '-e', 'trace=umask', '-o', trace, ...procinitArgv(), '-c', 'supervisord.conf', '--socket', ctl], { cwd: dir, env: { PROCINIT_SOCKET: ctl } });
    await until(
      () => {
        try {
          return statSync(join(dir, 'global.out')).isFile() && readFileSync(join(dir, 'tight.umask'), 'utf8').trim() !== '';
        } catch {
          return false;
        }
      },
      30_000,
      'both programs to write their files',
    );
    expect(statSync(join(dir, 'tight.out')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'tight.umask'), 'utf8').trim()).toBe('0077');
    expect(statSync(join(dir, 'global.out')).mode & 0o777).toBe(0o640);
    process.kill(tracee(p.child.pid!), 'SIGTERM');
    expect((await p.exit()).code).toBe(0);
    expect(umaskCalls(trace)).toEqual([]);
  }, 60_000);
});
