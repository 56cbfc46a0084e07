/** Running procinit under strace (Debian's strace, in .ci/run's list): which system calls it makes itself. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
