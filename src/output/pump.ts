/**
 * Children's output pipes read by native/pump.c: C reads every ready pipe, formats what goes to procinit's
 * stdout (bytes as read for supervisord's raw /dev/stdout, `name | line` prefixed lines otherwise) into one
 * buffer, and calls back here once per event-loop iteration with all of it, instead of a JavaScript call per
 * read. Here the out bytes are written (one write per hub) and each pipe's data goes on to its sink, for
 * what only JavaScript does: the ring, followers, log files, the debug echo.
 *
 * One pump serves the whole process; null when the addon cannot be loaded or has no pump (then pipe.ts
 * reads each pipe with a net.Socket, or child_process's own streams are read).
 */
import { outputAddon } from './native.js';
import type { FdWriter } from './writer.js';

export const PumpMode = {
  /** Bytes as read, to JavaScript only. */
  Js: 0,
  /** Bytes as read, written to stdout by the pump too; whole lines to JavaScript. */
  Raw: 1,
  /** Whole lines, written to stdout prefixed by the pump too. */
  Prefix: 2,
} as const;
export type PumpMode = (typeof PumpMode)[keyof typeof PumpMode];

const END = 1;
const OUT = 2;
/** The out bytes are the entry's data (raw), not in the out buffer. */
const IN_DATA = 8;
const META_INTS = 8;

export interface PumpSink {
  /** Where this pipe's out bytes go. */
  readonly writer: FdWriter;
  /**
   * A stretch of the pipe's data (as read, or whole lines for Prefix), valid only during the call. wentOut:
   * the pump wrote it to the writer; otherwise (a stretch too big for its buffer) the sink writes it itself.
   * lines: the lines (parts of at most maxLine) of a Prefix or Raw stretch, as the pump counted them; else
   * 0. For Raw, chunk is whole lines (maybe none) and asRead the bytes as read, which the pump wrote.
   * ringFrom: what of chunk the ring (the last keepLines lines of the process) needs: chunk.subarray(ringFrom),
   * which holds keepLines lines when ringFrom > 0 (a big pipe's read is thousands of lines).
   */
  data(chunk: Buffer, wentOut: boolean, lines: number, asRead: Buffer | null, ringFrom: number): void;
  /** The pipe is at its end (after its last data); its fd is closed. */
  end(): void;
}

export interface PumpedPipe {
  pause(): void;
  resume(): void;
  drain(): void;
  /** A new prefix for a Prefix pipe. */
  setPrefix(prefix: Buffer): void;
}

interface PumpAddon {
  pumpCreate(data: Buffer, out: Buffer, meta: Int32Array, flush: (outBytes: number, entries: number) => void): object;
  pumpAdd(pump: object, fd: number, id: number, mode: number, prefix: Buffer | null, maxLine: number, keepLines: number): object;
  pumpPrefix(pipe: object, prefix: Buffer): void;
  pumpPause(pipe: object): void;
  pumpResume(pipe: object): void;
  pumpDrain(pipe: object): void;
  pumpWrite(fd: number, first: number, end: number): number;
  pumpRelease?(pump: object): number;
  pumpGrow?(allowed: boolean): void;
}

/** Four reads of a big pipe (BIG_PIPE in native/pump.c, 256 KiB). */
const DATA_BYTES = 1024 * 1024;
/**
 * Room for a big pipe's read prefixed, every byte a line, with a prefix of up to 15 bytes (a prefixed read is at
 * most OUT_BYTES / (prefix + 1) bytes, so that it always fits; smaller reads of a 256 KiB pipe cost wake-ups and
 * CPU, measured). The pump flushes once 1 MiB of it is used, so that short lines do not keep all of it resident.
 */
const OUT_BYTES = 4 * 1024 * 1024;
const ENTRIES = 1024;

class Pump {
  private readonly data = Buffer.allocUnsafeSlow(DATA_BYTES);
  private readonly out = Buffer.allocUnsafeSlow(OUT_BYTES);
  private readonly meta = new Int32Array(ENTRIES * META_INTS);
  private readonly sinks = new Map<number, PumpSink>();
  private nextId = 1;
  private readonly handle: object;

  constructor(private readonly addon: PumpAddon) {
    this.handle = addon.pumpCreate(this.data, this.out, this.meta, (outBytes, entries) => this.flush(outBytes, entries));
  }

  /** keepLines: the ring keeps the last keepLines lines of the pipe's process (0: no bound known). */
  add(fd: number, mode: PumpMode, prefix: Buffer | null, maxLine: number, sink: PumpSink, keepLines = 0): PumpedPipe {
    const id = this.nextId++;
    const h = this.addon.pumpAdd(this.handle, fd, id, mode, prefix, maxLine, keepLines);
    this.sinks.set(id, sink);
    const a = this.addon;
    return {
      pause: () => a.pumpPause(h),
      resume: () => a.pumpResume(h),
      drain: () => a.pumpDrain(h),
      setPrefix: (p) => a.pumpPrefix(h, p),
    };
  }

  /** The buffers' pages given back to the system (they hold nothing between flushes); bytes released. */
  release(): number {
    return this.addon.pumpRelease?.(this.handle) ?? 0;
  }

  /**
   * The out bytes of entries [first, end) to the writer: written at once from C (writev) when the writer has
   * nothing waiting and its fd cannot block the event loop (a regular file, or a non-blocking pipe or
   * terminal), else copied into its queue.
   */
  private write(writer: FdWriter, first: number, end: number): void {
    const { meta } = this;
    const views: Buffer[] = [];
    for (let i = first; i < end; i++) {
      const m = i * META_INTS;
      if (!(meta[m + 3] & OUT) || meta[m + 5] === 0) continue;
      views.push(((meta[m + 3] & IN_DATA) !== 0 ? this.data : this.out).subarray(meta[m + 4], meta[m + 4] + meta[m + 5]));
    }
    writer.writeCopy(views, () => this.addon.pumpWrite(writer.fd, first, end));
  }

  private flush(_outBytes: number, entries: number): void {
    const { meta, data } = this;
    // the out bytes first, in order: one write for each run of entries going to the same writer
    let writer: FdWriter | null = null;
    let first = 0;
    for (let i = 0; i < entries; i++) {
      const m = i * META_INTS;
      if (!(meta[m + 3] & OUT) || meta[m + 5] === 0) continue;
      const w = this.sinks.get(meta[m])?.writer ?? null;
      if (w === writer) continue;
      if (writer) this.write(writer, first, i);
      writer = w;
      first = i;
    }
    if (writer) this.write(writer, first, entries);
    let failure: unknown = null;
    for (let i = 0; i < entries; i++) {
      const m = i * META_INTS;
      const id = meta[m];
      const sink = this.sinks.get(id);
      if (!sink) continue;
      try {
        const asRead = (meta[m + 3] & IN_DATA) !== 0 ? data.subarray(meta[m + 4], meta[m + 4] + meta[m + 5]) : null;
        if (meta[m + 2] > 0 || asRead) sink.data(data.subarray(meta[m + 1], meta[m + 1] + meta[m + 2]), (meta[m + 3] & OUT) !== 0, meta[m + 6], asRead, meta[m + 7]);
      } catch (err) {
        failure ??= err;
      }
      if (meta[m + 3] & END) {
        this.sinks.delete(id);
        try {
          sink.end();
        } catch (err) {
          failure ??= err;
        }
      }
    }
    if (failure) throw failure;
  }
}


let pump: Pump | null | undefined;
let disabled = false;

/** The process's pump, or null without one (no addon, or an addon built before the pump). */
export function outputPump(): Pump | null {
  if (disabled) return null;
  if (pump === undefined) {
    const addon = outputAddon() as unknown as Partial<PumpAddon> | null;
    pump = addon && typeof addon.pumpCreate === 'function' && typeof addon.pumpWrite === 'function' ? new Pump(addon as PumpAddon) : null;
  }
  return pump;
}

/**
 * The pump's buffers back to the system after a flood (the memory watch's trim): up to 5 MiB that stay resident
 * once filled. Nothing when there is no pump (none is made for this).
 */
export function releaseOutputBuffers(): number {
  return pump ? pump.release() : 0;
}

let smallPipeHolds = 0;

/**
 * While a follower (`logs -f`, `connect`) is attached, no pipe is made big (native/pump.c, pumpGrow): every
 * read becomes records encoded and queued for every follower, and 256 KiB reads made those bursts four times
 * as big (RSS 1.4x idle under 100 followers of 4 floods). Returns the release of this hold.
 */
export function holdSmallPipes(): () => void {
  const addon = outputAddon() as unknown as Partial<PumpAddon> | null;
  if (++smallPipeHolds === 1) addon?.pumpGrow?.(false);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--smallPipeHolds === 0) addon?.pumpGrow?.(true);
  };
}

/** Tests: pipes attached from now on are read as if the addon had no pump (net.Socket), or by the pump again. */
export function disablePumpForTests(off: boolean): void {
  disabled = off;
}
