/**
 * What the reliability tests measure from outside: a process's resident memory and open file descriptors
 * (from /proc), its children, and the figures each test reached (printed, and appended as JSON lines to
 * $PROCINIT_RELIABILITY_LOG when set, which is how docs/reliability.md got its numbers).
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';

/** Long versions of floods and soaks (`npm run test:long` sets PROCINIT_LONG=1). */
export const LONG = process.env.PROCINIT_LONG === '1';

/** The short or the long figure. */
export function scaled<T>(short: T, long: T): T {
  return LONG ? long : short;
}

/** Resident set size in KiB (VmRSS), or null when the process is gone. */
export function rssKb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Number of open file descriptors, or null when the process is gone. */
export function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Direct children of pid (every thread's), from /proc/<pid>/task/<tid>/children. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const p of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (p) out.push(Number(p));
    } catch {
      /* thread gone */
    }
  }
  return out;
}

/** State letter of a pid (R, S, Z, T...), or null when gone. */
export function procState(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.charAt(s.lastIndexOf(')') + 2);
  } catch {
    return null;
  }
}

/** Zombie children of pid. */
export function zombieChildren(pid: number): number[] {
  return childPids(pid).filter((c) => procState(c) === 'Z');
}

/** Every descendant of pid (children, their children, ...). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    for (const c of childPids(todo.pop()!)) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** Samples a process's RSS (and fd count) at an interval; keeps first, last and peak. */
export class Sampler {
  samples = 0;
  firstRssKb: number | null = null;
  lastRssKb: number | null = null;
  peakRssKb = 0;
  peakFds = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.sample();
  }

  sample(): void {
    const rss = rssKb(this.pid);
    if (rss === null) return;
    this.samples++;
    this.firstRssKb ??= rss;
    this.lastRssKb = rss;
    this.peakRssKb = Math.max(this.peakRssKb, rss);
    this.peakFds = Math.max(this.peakFds, fdCount(this.pid) ?? 0);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export const mb = (kb: number | null): number => Math.round(((kb ?? 0) / 1024) * 10) / 10;

/** Print a test's figures and, with $PROCINIT_RELIABILITY_LOG, append them as one JSON line. */
export function report(test: string, figures: Record<string, number | string | boolean>): void {
  const line = { test, long: LONG, ...figures };
  // eslint-disable-next-line no-console
  console.log(`[reliability] ${test}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const log = process.env.PROCINIT_RELIABILITY_LOG;
  if (log) appendFileSync(log, JSON.stringify({ at: new Date().toISOString(), ...line }) + '\n');
}

/** Promise-based sleep, for pacing load (never for synchronisation). */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
