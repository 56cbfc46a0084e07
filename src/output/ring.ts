/**
 * Recent output of one process, bounded by line count and bytes: what `procinit logs` shows and what
 * `connect` replays. Batches are kept as they came (no per-line objects while nobody asks) and cut into
 * lines only when read; old batches fall off the front once the newer ones alone fill the byte bound.
 */
import { splitBatch, type LineBatch } from './lines.js';
import type { OutputRecord, StreamName } from './record.js';

export const RING_MAX_LINES = 1000;
export const RING_MAX_BYTES = 1024 * 1024;

interface Entry {
  name: string;
  stream: StreamName;
  time: number;
  batch: LineBatch;
}

export class RecordRing {
  private items: Entry[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    readonly maxLines = RING_MAX_LINES,
    readonly maxBytes = RING_MAX_BYTES,
  ) {}

  push(name: string, stream: StreamName, time: number, batch: LineBatch): void {
    this.items.push({ name, stream, time, batch });
    this.bytes += batch.data.length;
    // counting lines here would cost a scan per batch: the byte bound keeps memory bounded, tail() applies both
    while (this.items.length - this.head > 1 && this.bytes - this.items[this.head].batch.data.length >= this.maxBytes) {
      this.bytes -= this.items[this.head].batch.data.length;
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** The last n records (up to maxLines; all when n is undefined), at most maxBytes but always the newest. */
  tail(n?: number): OutputRecord[] {
    const want = n === undefined ? this.maxLines : Math.min(n, this.maxLines);
    const parts: OutputRecord[][] = [];
    let count = 0;
    for (let i = this.items.length - 1; i >= this.head && count < want; i--) {
      const e = this.items[i];
      const records = splitBatch(e.batch).map((line) => ({ name: e.name, stream: e.stream, time: e.time, line }));
      parts.push(records);
      count += records.length;
    }
    let out = parts.reverse().flat();
    if (out.length > want) out = out.slice(out.length - want);
    let bytes = 0;
    let first = out.length;
    while (first > 0 && (first === out.length || bytes + out[first - 1].line.length <= this.maxBytes)) bytes += out[--first].line.length;
    return first > 0 ? out.slice(first) : out;
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
