/**
 * Log files that cannot be written, with procinit as PID 1 (issue 16, item 1): a stdout_logfile on a full
 * tmpfs (mounted in a private mount namespace, so it never leaks to the host), a childlogdir that does not
 * exist, /proc/version (EIO) as a log file and a [supervisord] logfile in a missing directory. procinit
 * must report each once, send the lines to its stdout, keep every other program untouched, report the
 * recovery when space is freed, and still stop everything cleanly.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir, procinitArgv, startWatched, until } from '../helpers/procinit.js';
import { canUnshare, childrenOf, readStat } from '../helpers/pidns.js';

const unshareOk = canUnshare();

/** `procinit ARGS` as PID 1, with a 64 KiB tmpfs mounted at `full` inside its own mount namespace. */
async function startWithFullTmpfs(dir: string, full: string, args: string[]) {
  const script = 'mount -t tmpfs -o size=64k tmpfs "$0" && exec "$@"';
  const w = startWatched('unshare', ['--mount', '--pid', '--fork', '--mount-proc', 'sh', '-c', script, full, ...procinitArgv(), ...args], { cwd: dir });
  let outer = -1;
  await until(() => {
    const kid = childrenOf(w.pid)[0];
    if (kid && (readStat(kid.pid)?.comm ?? '').startsWith('node')) outer = kid.pid;
    return outer > 0;
  }, 10_000, 'procinit inside the namespace');
  return { w, outer };
}

describe.skipIf(!unshareOk)('log files that cannot be written, procinit as PID 1', () => {
  it('full tmpfs, missing childlogdir, /proc/version, missing [supervisord] logfile dir: reported once, lines to stdout, others untouched', async () => {
    const dir = fixtureDir({});
    const full = join(dir, 'full');
    const fill = `i=0; while [ $i -lt 6000 ]; do echo "loud line $i"; i=$((i+1)); done; echo filled; while :; do echo "tick $i"; i=$((i+1)); sleep 0.2; done`;
    const conf = [
      '[supervisord]',
      `logfile=${dir}/no/such/dir/supervisord.log`,
      `childlogdir=${dir}/no/childlogdir`,
      '[program:loud]',
      `command=sh -c '${fill}'`,
      `stdout_logfile=${full}/loud.log`,
      'stdout_logfile_maxbytes=0',
      'startsecs=0',
      '[program:auto]',
      `command=sh -c 'echo auto says hi; exec sleep 300'`,
      'startsecs=0',
      '[program:proc]',
      `command=sh -c 'echo into proc version; exec sleep 300'`,
      'stdout_logfile=/proc/version',
      'startsecs=0',
      '[program:ok]',
      `command=sh -c 'echo ok alive; exec sleep 300'`,
      'stdout_logfile=/dev/stdout',
      'startsecs=0',
    ].join('\n');
    mkdirSync(full);
    writeFileSync(join(dir, 'supervisord.conf'), conf + '\n');
    const { w, outer } = await startWithFullTmpfs(dir, full, ['-c', 'supervisord.conf']);
    try {
      await w.waitFor(/loud +\| filled/);
      await w.waitFor(/auto +\| auto says hi/);
      await w.waitFor(/proc +\| into proc version/);
      await w.waitFor(/^(ok +\| )?ok alive$/m); // raw /dev/stdout output in supervisord mode
      await w.waitFor(/loud +\| loud line 5999/);
      const out = w.output;
      expect(out).toMatch(/cannot write \[supervisord\] logfile .*supervisord\.log: ENOENT/);
      expect(w.count(/cannot write stdout_logfile .*loud\.log of loud: ENOSPC/)).toBe(1);
      expect(w.count(/cannot write stdout_logfile .*no\/childlogdir\/auto-stdout.* of auto: ENOENT/)).toBe(1);
      expect(w.count(/cannot write stdout_logfile \/proc\/version of proc: EIO/)).toBe(1);
      expect(out).not.toMatch(/internal error|    at /);
      // free the space (the tmpfs is seen through PID 1's root): the next tick reaches the file again
      rmSync(`/proc/${outer}/root${full}/loud.log`);
      await w.waitFor(/loud\.log of loud is written again \(\d+ line\(s\) went to procinit's stdout meanwhile\)/, 20_000);
      expect(w.count(/of loud: ENOSPC/)).toBe(1);
      const before = w.count(/loud +\| tick/);
      await until(() => readStat(outer) !== null && w.count(/loud +\| tick/) === before, 1000, 'ticks');
    } finally {
      if (readStat(outer) !== null) process.kill(outer, 'SIGTERM');
    }
    const exit = await w.exit();
    expect(exit.code).toBe(0);
    for (const name of ['loud', 'auto', 'proc', 'ok']) expect(w.output).toMatch(new RegExp(`${name} stopped|stopped: '?${name}\\b`));
  });
});
