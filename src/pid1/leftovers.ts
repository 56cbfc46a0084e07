/**
 * The last step before procinit exits: nothing its programs started may outlive it.
 *
 * The stop ladder ends every program and its process group, but a daemon that left its group (setsid, a
 * double fork) is not in any group procinit knows. Such orphans are re-parented to procinit (PID 1 or child
 * subreaper), so when the run is over they are still procinit's children: SIGKILL each one and its process
 * group, wait until it is dead (its own orphans then come to procinit in turn), and repeat, within a time
 * bound. As PID 1 the kernel would kill them anyway when procinit exits; as a subreaper nobody else would.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Our children, from /proc/self/task/<tid>/children, with their state letter (Z for zombies). */
function children(): Array<{ pid: number; zombie: boolean }> {
  const out: Array<{ pid: number; zombie: boolean }> = [];
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out; // no /proc: nothing we can find
  }
  for (const tid of tasks) {
    let list: string;
    try {
      list = readFileSync(`/proc/self/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const word of list.split(/\s+/)) {
      const pid = Number(word);
      if (!(pid > 0)) continue;
      out.push({ pid, zombie: isZombieOrGone(pid) });
    }
  }
  return out;
}

function isZombieOrGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

function kill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    /* ESRCH: already gone, or not a group leader */
  }
}

/**
 * SIGKILL every live child of procinit except `own` (pids libuv or node-pty still wait for) and the process
 * groups they lead, until none is left or timeoutMs passed; `reap` collects the zombies (the reaper's sweep).
 * Returns how many processes were killed.
 */
export async function killLeftoverChildren(opts: { own?: () => Iterable<number>; reap?: () => void; timeoutMs?: number } = {}): Promise<number> {
  const deadline = Date.now() + (opts.timeoutMs ?? 2000);
  const killed = new Set<number>();
  for (;;) {
    const own = new Set(opts.own?.() ?? []);
    const live = children().filter((c) => !c.zombie && !own.has(c.pid) && c.pid !== process.pid);
    if (live.length === 0 || Date.now() > deadline) break;
    for (const { pid } of live) {
      if (killed.has(pid)) continue;
      killed.add(pid);
      kill(-pid);
      kill(pid);
    }
    opts.reap?.();
    await new Promise((r) => setTimeout(r, 5));
  }
  opts.reap?.();
  return killed.size;
}
