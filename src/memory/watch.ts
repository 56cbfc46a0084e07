/**
 * Memory back to its idle level after any load, not only after control-socket bursts (control/pool.ts).
 * A crash loop, a flood of output or a crowd of `logs -f` followers leaves RSS at its peak for good: V8
 * collects nothing once nothing allocates (so garbage Buffers and a grown young generation stay), and
 * glibc keeps freed heap in its arenas. Every CHECK_MS procinit reads its own RSS (one read of /proc,
 * no allocation worth counting); when it has grown by more than GROWTH over what the last trim left,
 * it trims gently (native/memory.cc, mode 1: V8's moderate memory pressure starts an incremental,
 * footprint-reducing collection whose pauses are short, and malloc_trim), and at the next check gives back
 * what that collection freed (mode 2, malloc_trim) and takes the level then as the new reference. What a
 * trim cannot give back is memory in use: that level becomes the reference, so a procinit that really
 * needs more memory is not trimmed again and again. The gentle kind matters with a large heap: the full
 * compacting GC used before (LowMemoryNotification) stopped everything for 60-80 ms with the 30 MB heap of
 * 5,000 programs, every 2 s while status answers kept RSS moving (several times that under load), so that
 * `status` waited behind it.
 */
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';

export const CHECK_MS = 2000;
/** RSS above the last trim's level by this share triggers a trim. */
export const GROWTH = 0.1;

/** How to give memory back: `gentle` starts an incremental collection and trims malloc; `malloc` only trims malloc. */
export type TrimMode = 'gentle' | 'malloc';

export interface MemoryWatchOptions {
  checkMs?: number;
  growth?: number;
  /** Resident bytes now (process.memoryUsage.rss by default). */
  rss?: () => number;
  /** Give memory back; false when it cannot (no addon). */
  trim?: (mode: TrimMode) => boolean;
  /** Caches to empty before a gentle trim (the output pump's buffers, which a flood leaves resident). */
  release?: () => void;
}

export class MemoryWatch {
  private timer: NodeJS.Timeout | null = null;
  /** No way to trim here (no addon): checks do nothing. */
  private disabled = false;
  /** RSS right after the last trim (or at the first check). */
  private reference = 0;
  /** Trims done (tests, figures). */
  trims = 0;
  /** A gentle trim's collection may still be under way: the next check finishes it and takes the level. */
  private settling = false;
  private readonly rss: () => number;
  private readonly trim: (mode: TrimMode) => boolean;

  constructor(private readonly opts: MemoryWatchOptions = {}) {
    this.rss = opts.rss ?? (() => process.memoryUsage.rss());
    this.trim = opts.trim ?? defaultTrim;
  }

  start(): void {
    if (this.timer) return;
    let first = true;
    this.timer = setInterval(() => {
      if (first) {
        first = false;
        youngGenerationStaysSmall();
      }
      this.check();
    }, this.opts.checkMs ?? CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check (the timer's; tests call it directly). */
  check(): void {
    if (this.disabled) return;
    if (this.settling) {
      this.settling = false;
      this.trimWith('malloc');
      this.reference = this.rss();
      return;
    }
    const now = this.rss();
    if (this.reference === 0) {
      this.reference = now;
      return;
    }
    if (now <= this.reference * (1 + (this.opts.growth ?? GROWTH))) return;
    try {
      this.opts.release?.();
    } catch {
      /* best effort */
    }
    if (!this.trimWith('gentle')) {
      this.disabled = true; // nothing to trim with: stop looking
      return this.stop();
    }
    this.trims++;
    this.settling = true;
  }

  private trimWith(mode: TrimMode): boolean {
    try {
      return this.trim(mode);
    } catch {
      return false;
    }
  }
}

/**
 * V8 doubles the young generation (up to 16 MiB a semi-space) whenever much survives a scavenge, as under a
 * flood with 100 followers, and keeps it: a growth factor of 1 keeps it at its first size (1 MiB). Measured
 * (crash loop + 4 floods + 100 followers, 2 alternating runs): RSS under load 76/72 -> 68/66 MiB, peak
 * 100-106 -> 73-75 MiB; CPU per million lines streamed unchanged (procinit's output path allocates little).
 * The flag is read when the young generation would grow, so setting it at run time works (the heap size
 * flags do not). Set on the first check, seconds after the start and never before: loading node:v8 costs
 * about 2 ms, and the build's code cache (build/sea.mjs, trainCodeCache) is written 500 ms into a run,
 * with the V8 flags of that moment, which must be those of a start or V8 rejects the cache.
 */
function youngGenerationStaysSmall(): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    /* best effort */
  }
}

let addonTrim: ((mode: number) => boolean) | null | undefined;

function defaultTrim(mode: TrimMode): boolean {
  if (addonTrim === undefined) {
    try {
      const addon = loadAddon(PROCINIT_ADDON) as { trimMemory?: (mode: number) => boolean };
      addonTrim = typeof addon.trimMemory === 'function' ? (m) => addon.trimMemory!(m) : null;
    } catch {
      addonTrim = null;
    }
  }
  return addonTrim ? addonTrim(mode === 'gentle' ? 1 : 2) : false;
}
