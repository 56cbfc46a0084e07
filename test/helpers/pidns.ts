/**
 * Run procinit as PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`), which is what a
 * container is, and look at it from outside through the host's /proc.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { procinitArgv, startWatched, until, type Watched } from './procinit.js';

/** Can this machine make PID namespaces (root, unshare present)? */
export function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface ProcStat {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
}

export function readStat(pid: number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const rest = s.slice(close + 2).split(' ');
    return { pid, comm: s.slice(s.indexOf('(') + 1, close), state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/** Children of a pid, by scanning /proc (host view). */
export function childrenOf(pid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(Number(e));
    if (st && st.ppid === pid) out.push(st);
  }
  return out;
}

export class Pid1Run {
  constructor(
    readonly watched: Watched,
    /** procinit's pid as the host sees it (PID 1 inside). */
    readonly outerPid: number,
  ) {}

  zombies(): ProcStat[] {
    return childrenOf(this.outerPid).filter((c) => c.state === 'Z');
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.outerPid, sig);
  }
}

/** Start `procinit ARGS` as PID 1 of a new PID namespace. */
export async function startAsPid1(args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<Pid1Run> {
  const watched = startWatched('unshare', ['--pid', '--fork', '--mount-proc', ...procinitArgv(), ...args], { cwd, env });
  let outer = -1;
  await until(() => {
    const kids = childrenOf(watched.pid);
    if (kids.length > 0 && kids[0].comm.startsWith('node')) outer = kids[0].pid;
    else if (kids.length > 0) outer = kids[0].pid;
    return outer > 0 && (readStat(outer)?.comm ?? '').length > 0 && readStat(outer)?.comm !== 'unshare';
  }, 10_000, 'procinit inside the namespace');
  return new Pid1Run(watched, outer);
}
