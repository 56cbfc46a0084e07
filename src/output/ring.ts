/**
 * Recent output of one process, bounded by line count and bytes: what `procinit logs` shows and what
 * `connect` replays. Old lines fall off the front.
 */
import type { OutputRecord } from './record.js';

export const RING_MAX_LINES = 1000;
export const RING_MAX_BYTES = 1024 * 1024;

export class RecordRing {
  private items: OutputRecord[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    readonly maxLines = RING_MAX_LINES,
    readonly maxBytes = RING_MAX_BYTES,
  ) {}

  push(r: OutputRecord): void {
    this.items.push(r);
    this.bytes += r.line.length;
    while (this.items.length - this.head > this.maxLines || (this.bytes > this.maxBytes && this.items.length - this.head > 1)) {
      this.bytes -= this.items[this.head].line.length;
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** The last n records (all when n is undefined). */
  tail(n?: number): OutputRecord[] {
    const live = this.items.length - this.head;
    const count = n === undefined ? live : Math.min(n, live);
    return this.items.slice(this.items.length - count);
  }
}

/** The last bytes a process wrote, raw (escape sequences and all), for `connect`'s screen replay. */
export class ByteRing {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(readonly maxBytes = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes - this.chunks[0].length >= this.maxBytes) {
      this.bytes -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  contents(): Buffer {
    const all = Buffer.concat(this.chunks);
    return all.length > this.maxBytes ? all.subarray(all.length - this.maxBytes) : all;
  }
}
