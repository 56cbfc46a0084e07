/**
 * Reap orphaned zombies without stealing the exit status of processes procinit spawned.
 *
 * PID 1 (or a child subreaper) inherits every orphan of the container. libuv reaps only the pids it
 * spawned, node-pty its own; the addon reaps every other child of ours (see native/reaper.c).
 */
import { existsSync } from 'node:fs';
import { loadAddon, PROCINIT_ADDON } from './native.js';

interface ReaperAddon {
  setSubreaper(): boolean;
  reapOrphans(ownPids: Int32Array): number[];
}

export interface Reaped {
  pid: number;
  /** Raw wait status. */
  status: number;
}

export interface ReaperOptions {
  /** Pids procinit spawned itself (libuv/node-pty reap those). Asked at each sweep. */
  ownPids: () => Iterable<number>;
  onReaped?: (reaped: Reaped[]) => void;
  /** Told once when the addon cannot load; procinit keeps running without reaping. */
  onUnavailable?: (err: Error) => void;
  /** Safety sweep interval in ms, in case a SIGCHLD was coalesced away (0 = none). */
  sweepMs?: number;
}

let addon: ReaperAddon | null | undefined;

function reaperAddon(): ReaperAddon {
  if (addon === undefined) addon = loadAddon(PROCINIT_ADDON) as ReaperAddon;
  if (addon === null) throw new Error('reaper addon unavailable');
  return addon;
}

/** prctl(PR_SET_CHILD_SUBREAPER): orphans of our children come to us when we are not PID 1. */
export function registerSubreaper(): void {
  reaperAddon().setSubreaper();
}

/** One sweep: waitpid every child of ours that we did not spawn. */
export function reapOnce(ownPids: Iterable<number>): Reaped[] {
  const flat = reaperAddon().reapOrphans(Int32Array.from(ownPids));
  const out: Reaped[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ pid: flat[i], status: flat[i + 1] });
  return out;
}

export interface Reaper {
  /** Whether the addon loaded and reaping is active. */
  readonly active: boolean;
  sweep(): Reaped[];
  stop(): void;
}

/** Listen for SIGCHLD and reap orphans on each. As not-PID-1, register as child subreaper first. */
export function startReaper(opts: ReaperOptions): Reaper {
  try {
    // the addon finds our children in /proc; without it nothing would be reaped, silently
    if (!existsSync('/proc/self/stat')) throw new Error('/proc is not mounted, so orphaned processes cannot be found');
    reaperAddon();
    if (process.pid !== 1) registerSubreaper();
  } catch (err) {
    addon = null;
    opts.onUnavailable?.(err as Error);
    return { active: false, sweep: () => [], stop: () => {} };
  }
  const sweep = (): Reaped[] => {
    const reaped = reapOnce(opts.ownPids());
    if (reaped.length > 0) opts.onReaped?.(reaped);
    return reaped;
  };
  // One sweep for the SIGCHLDs of one turn of the event loop: each sweep reads every thread's children
  // file, and at a shutdown the programs end together (20 exits gave 20 sweeps, ~3 ms before procinit's exit).
  let pending = false;
  let stopped = false;
  const onSigchld = (): void => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (!stopped) sweep();
    });
  };
  process.on('SIGCHLD', onSigchld);
  const timer = opts.sweepMs ? setInterval(sweep, opts.sweepMs) : null;
  timer?.unref();
  return {
    active: true,
    sweep,
    stop() {
      stopped = true;
      process.off('SIGCHLD', onSigchld);
      if (timer) clearInterval(timer);
    },
  };
}
