/**
 * Recent output of one process, bounded by line count and bytes: what `procinit logs` shows and what
 * `connect` replays. Batches are copied into one circular buffer per process (grown on demand up to
 * maxBytes, then reused: streaming allocates nothing) and cut into lines only when read. Batches older than
 * the last maxLines lines are dropped as new ones come (a line count per batch, native/output.c), so a
 * process writing short lines keeps about maxLines lines' bytes, not maxBytes: 1,000 programs with
 * 100-byte lines hold about 100 KiB each, not 1 MiB.
 */
import { countLinesJs, splitBatch, type LineBatch } from './lines.js';
import { outputAddon } from './native.js';
import type { OutputRecord, StreamName } from './record.js';

export const RING_MAX_LINES = 1000;
export const RING_MAX_BYTES = 1024 * 1024;
const FIRST_BYTES = 16 * 1024;

interface Entry {
  stream: StreamName;
  time: number;
  /** Where the batch starts in the circular buffer, and its length (it may wrap around the end). */
  at: number;
  length: number;
  maxLine: number;
  stripCR: boolean;
  /** Records it makes at least (countLines). */
  lines: number;
}

function countLines(data: Buffer): number {
  const addon = outputAddon();
  return addon?.countLines ? addon.countLines(data) : countLinesJs(data);
}

export class RecordRing {
  private buf: Buffer = Buffer.alloc(0);
  private entries: Entry[] = [];
  private head = 0;
  /** Where the next batch goes, and how many bytes the live entries hold. */
  private end = 0;
  private used = 0;
  /** Lines (at least) in the live entries. */
  private lines = 0;

  constructor(
    readonly name: string,
    readonly maxLines = RING_MAX_LINES,
    readonly maxBytes = RING_MAX_BYTES,
  ) {}

  push(stream: StreamName, time: number, batch: LineBatch): void {
    const whole = batch.data.length <= this.maxBytes;
    const data = whole ? batch.data : newestLines(batch.data, this.maxBytes);
    const lines = whole && batch.lines ? batch.lines : countLines(data);
    // what the last maxLines lines do not need goes first: it is never shown again
    while (this.head < this.entries.length && this.lines + lines - this.entries[this.head].lines >= this.maxLines) this.dropOldest();
    if (this.buf.length - this.used < data.length && this.buf.length < Math.max(this.maxBytes, data.length)) this.grow(this.used + data.length, data.length);
    while (this.buf.length - this.used < data.length) this.dropOldest();
    const first = Math.min(data.length, this.buf.length - this.end);
    data.copy(this.buf, this.end, 0, first);
    if (first < data.length) data.copy(this.buf, 0, first);
    this.entries.push({ stream, time, at: this.end, length: data.length, maxLine: batch.maxLine, stripCR: batch.stripCR, lines });
    this.end = (this.end + data.length) % this.buf.length;
    this.used += data.length;
    this.lines += lines;
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** The last n records (up to maxLines; all when n is undefined), at most maxBytes but always the newest. */
  tail(n?: number): OutputRecord[] {
    const want = n === undefined ? this.maxLines : Math.min(n, this.maxLines);
    const parts: OutputRecord[][] = [];
    let count = 0;
    for (let i = this.entries.length - 1; i >= this.head && count < want; i--) {
      const e = this.entries[i];
      const data = this.bytesOf(e);
      const records = splitBatch({ data, maxLine: e.maxLine, stripCR: e.stripCR }).map((line) => ({ name: this.name, stream: e.stream, time: e.time, line }));
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

  /** A copy of an entry's bytes (the records made from it outlive the circular buffer's contents). */
  private bytesOf(e: Entry): Buffer {
    const out = Buffer.allocUnsafe(e.length);
    const first = Math.min(e.length, this.buf.length - e.at);
    this.buf.copy(out, 0, e.at, e.at + first);
    if (first < e.length) this.buf.copy(out, first, 0, e.length - first);
    return out;
  }

  /** Bytes the circular buffer holds room for (tests, figures). */
  get capacity(): number {
    return this.buf.length;
  }

  private dropOldest(): void {
    this.used -= this.entries[this.head].length;
    this.lines -= this.entries[this.head].lines;
    this.head++;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = this.end = this.used = this.lines = 0;
    }
  }

  /** A bigger buffer (doubling, at most maxBytes or the one batch) holding the live entries from its start. */
  private grow(atLeast: number, batch: number): void {
    let size = Math.max(this.buf.length * 2, FIRST_BYTES);
    while (size < atLeast) size *= 2;
    const next = Buffer.allocUnsafe(Math.min(size, Math.max(this.maxBytes, batch)));
    let at = 0;
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      this.bytesOf(e).copy(next, at);
      e.at = at;
      at += e.length;
    }
    this.buf = next;
    this.end = at % next.length;
  }
}

/** The newest whole lines of data that fit in max bytes; at least its last line, however long. */
function newestLines(data: Buffer, max: number): Buffer {
  const fit = data.indexOf(10, data.length - max - 1);
  if (fit !== -1 && fit + 1 < data.length) return data.subarray(fit + 1);
  return data.subarray(data.lastIndexOf(10, data.length - 2) + 1);
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
