/**
 * What a process tree uses, from /proc: resident memory (VmRSS, summed over the tree as pm2's
 * max_memory_restart does) and CPU time (utime + stime). The tree is the root and every descendant found
 * through /proc/<pid>/task/<tid>/children, or, in cgroup mode, every pid in the instance's cgroup (which
 * also holds daemons that left the tree).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second for utime/stime (USER_HZ, 100 on every Linux ABI Node runs on). */
const USER_HZ = 100;

export interface TreeUsage {
  /** Resident memory summed over the tree, bytes. */
  rss: number;
  /** CPU seconds used so far by the processes alive now. */
  cpuSeconds: number;
  pids: number[];
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The children of pid, from every thread's children file. */
export function childrenOf(pid: number, proc = '/proc'): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`${proc}/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    const text = readText(`${proc}/${pid}/task/${tid}/children`);
    if (text) for (const c of text.split(' ')) if (c.trim()) out.push(Number(c));
  }
  return out;
}

/** root and its descendants (bounded: a fork bomb does not make this unbounded work). */
export function processTree(root: number, proc = '/proc', max = 4096): number[] {
  const seen = new Set<number>([root]);
  const queue = [root];
  while (queue.length > 0 && seen.size < max) {
    for (const c of childrenOf(queue.shift()!, proc)) {
      if (!seen.has(c)) {
        seen.add(c);
        queue.push(c);
      }
    }
  }
  return [...seen];
}

/** utime + stime in seconds from a /proc/<pid>/stat text (fields after the command's closing paren). */
export function cpuSecondsFromStat(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const f = stat.slice(close + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14, stime field 15
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : null;
}

/** VmRSS from a /proc/<pid>/status text, in bytes (0 for a zombie or a kernel thread). */
export function rssFromStatus(status: string): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Usage of the given processes (gone ones count nothing). */
export function usageOf(pids: number[], proc = '/proc'): TreeUsage {
  let rss = 0;
  let cpuSeconds = 0;
  const alive: number[] = [];
  for (const pid of pids) {
    const stat = readText(`${proc}/${pid}/stat`);
    if (stat === null) continue;
    alive.push(pid);
    cpuSeconds += cpuSecondsFromStat(stat) ?? 0;
    rss += rssFromStatus(readText(`${proc}/${pid}/status`) ?? '');
  }
  return { rss, cpuSeconds, pids: alive };
}

/** The process exists and has not exited (a zombie waiting to be reaped has). */
export function isRunning(pid: number, proc = '/proc'): boolean {
  const stat = readText(`${proc}/${pid}/stat`);
  if (stat === null) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X' && state !== '';
}
