/** Running procinit under strace (Debian's strace, in .ci/run's list): which system calls it makes itself. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startWatched, type Watched } from './procinit.js';

export function haveStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** procinit, the one child of strace (SIGTERM to strace itself would only detach it). */
export function tracee(stracePid: number): number {
  return Number(readFileSync(`/proc/${stracePid}/task/${stracePid}/children`, 'utf8').trim().split(/\s+/)[0]);
}

/** The lines of an `strace -o` log that name a umask(2) call. */
export function umaskCalls(trace: string): string[] {
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => /\bumask\(/.test(l));
}

const running = new Set<Watched>();

/** `strace ARGS` (procinit its one child), remembered so that stopTraced() ends it if a test fails midway. */
export function startTraced(args: string[], opts: Parameters<typeof startWatched>[2] = {}): Watched {
  const p = startWatched('strace', args, opts);
  running.add(p);
  void p.exited.then(() => running.delete(p));
  return p;
}

/**
 * For afterEach: SIGTERM to every traced procinit still running (it stops its programs, which live in
 * sessions of their own and would outlive a SIGKILL), then waits for it. Without this, a failed assertion
 * left strace, procinit and its programs running after the suite.
 */
export async function stopTraced(): Promise<void> {
  await Promise.all(
    [...running].map(async (p) => {
      try {
        process.kill(tracee(p.child.pid!), 'SIGTERM');
      } catch {
        p.child.kill('SIGKILL');
      }
      await p.exit(30_000).catch(() => p.child.kill('SIGKILL'));
    }),
  );
}
