/**
 * The first config load at start is synchronous: nothing runs yet, and the load on libuv's thread pool that
 * a reload uses would cost start time (node:fs/promises alone is 1-2 ms). But a config file, include folder
 * or `.env` on a hung NFS/FUSE mount would then hold procinit (as PID 1, the container) in read(2) or
 * stat(2) for ever, with no message. So every synchronous fs call of the load is timed by a thread of the
 * addon (native/watchdog.c): one that has not returned within READ_TIMEOUT_MS ends procinit with
 * `procinit: PATH: no answer from the file system within 10 s (a hung mount?)` and exit 2. A load that
 * keeps making progress is never cut short (only each call is timed). Without the addon: no watchdog.
 */
import { READ_TIMEOUT_MS, watchFsCalls } from '../config/text-file.js';
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';

interface WatchdogAddon {
  fsWatchStart(timeoutMs: number): boolean;
  fsWatchBegin(what: string): void;
  fsWatchEnd(): void;
  fsWatchStop(): void;
}

function watchdogAddon(): WatchdogAddon | null {
  try {
    const a = loadAddon(PROCINIT_ADDON) as Partial<WatchdogAddon>;
    return typeof a.fsWatchStart === 'function' && typeof a.fsWatchBegin === 'function' && typeof a.fsWatchEnd === 'function' && typeof a.fsWatchStop === 'function'
      ? (a as WatchdogAddon)
      : null;
  } catch {
    return null;
  }
}

/** fn (a synchronous config load), each of its fs calls bounded by timeoutMs. */
export function withFsWatchdog<T>(fn: () => T, timeoutMs = READ_TIMEOUT_MS): T {
  const addon = watchdogAddon();
  if (addon === null || !addon.fsWatchStart(timeoutMs)) return fn();
  watchFsCalls({ begin: (what) => addon.fsWatchBegin(what), end: () => addon.fsWatchEnd() });
  try {
    return fn();
  } finally {
    watchFsCalls(null);
    addon.fsWatchStop();
  }
}
