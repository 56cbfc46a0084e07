/**
 * exec probe as kubelet's: the command, run in the program's environment, directory and user, exits 0 within
 * the timeout. Its output is discarded except the last line of it, kept for the failure message; after
 * the timeout its process group is killed.
 */
import type { ChildProcess } from 'node:child_process';
import { failed, PASSED, type ProbeResult } from './probe-result.js';

const KEEP_OUTPUT = 512;

/**
 * track(pid, true) right after the spawn and track(pid, false) after its exit: procinit's reaper must leave
 * the probe's pid to libuv, which reports its exit.
 */
export function probeExec(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
  track: (pid: number, alive: boolean) => void = () => {},
  ids: { uid: number; gid: number } | null = null,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const what = argv[0] === '/bin/sh' && argv[1] === '-c' ? argv[2] : argv.join(' ');
    let out = '';
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child: ChildProcess;
    try {
      // node:child_process (and dgram, net, streams with it) on the first exec probe, not at every start
      const { spawn } = require('node:child_process') as typeof import('node:child_process');
      child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(ids ?? {}) });
    } catch (err) {
      resolve(failed(`exec ${what}: ${(err as Error).message}`));
      return;
    }
    const pid = child.pid;
    if (pid !== undefined) track(pid, true);
    const keep = (b: Buffer): void => {
      out = (out + b.toString('utf8')).slice(-KEEP_OUTPUT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      finish(failed(`exec ${what}: no exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => finish(failed(`exec ${what}: ${err.code === 'ENOENT' ? 'command not found' : err.message}`)));
    child.once('exit', () => {
      if (pid !== undefined) track(pid, false);
    });
    child.once('close', (code, signal) => {
      const last = out.trim().split('\n').pop()?.slice(0, 200) ?? '';
      if (code === 0) finish(PASSED);
      else finish(failed(`exec ${what}: ${signal ? `killed by SIG${signal}` : `exit ${code}`}${last ? `: ${last}` : ''}`));
    });
  });
}
