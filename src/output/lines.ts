/**
 * Cut a byte stream into batches of whole lines, per stream, without looking at each line: a batch is a
 * stretch of bytes that starts at a line start and ends at a line end. Lines are found only when a sink
 * needs them one by one (splitBatch); the common sink, prefixed text on stdout, formats a whole batch
 * at once (format.ts). A line longer than maxLine is cut into parts, each still a whole line; an
 * unterminated tail is kept until the next chunk or flush().
 */
export const DEFAULT_MAX_LINE = 64 * 1024;

/** Whole lines: split at each \n, the end of data ends the last line; lines longer than maxLine come in parts. */
export interface LineBatch {
  readonly data: Buffer;
  readonly maxLine: number;
  /** Drop the \r of \r\n line ends (a terminal's). */
  readonly stripCR: boolean;
  /** Its lines (parts of at most maxLine), when whoever made the batch counted them (native/pump.c does). */
  readonly lines?: number;
}

export class LineChunker {
  private tail: Buffer | null = null;

  constructor(
    private readonly maxLine = DEFAULT_MAX_LINE,
    private readonly stripCR = false,
  ) {}

  /** The whole lines this chunk completes: none, one or two batches (the tail's line, then the rest). */
  push(chunk: Buffer): LineBatch[] {
    const batches: LineBatch[] = [];
    let start = 0;
    if (this.tail) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        this.keepTail(Buffer.concat([this.tail, chunk]), batches);
        return batches;
      }
      // only the line the tail began is copied; the rest of the chunk stays a view
      batches.push(this.batch(Buffer.concat([this.tail, chunk.subarray(0, nl + 1)])));
      this.tail = null;
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= start) {
      batches.push(this.batch(chunk.subarray(start, last + 1)));
      start = last + 1;
    }
    if (start < chunk.length) this.keepTail(chunk.subarray(start), batches);
    return batches;
  }

  /** The unterminated tail, if any (at EOF). */
  flush(): LineBatch[] {
    const t = this.tail;
    this.tail = null;
    return t && t.length > 0 ? [this.batch(t)] : [];
  }

  /** Bytes with no newline: whole maxLine parts go out now, the rest waits (copied, so the chunk can go). */
  private keepTail(rest: Buffer, batches: LineBatch[]): void {
    const cut = rest.length - (rest.length % this.maxLine);
    if (cut > 0) batches.push(this.batch(rest.subarray(0, cut)));
    this.tail = cut < rest.length ? Buffer.from(rest.subarray(cut)) : null;
  }

  private batch(data: Buffer): LineBatch {
    return { data, maxLine: this.maxLine, stripCR: this.stripCR };
  }
}

/** Call fn(start, end) for each line of the batch, in order (end excludes the \n, and the \r when stripped). */
export function eachLine(b: LineBatch, fn: (start: number, end: number) => void): void {
  const { data, maxLine, stripCR } = b;
  const len = data.length;
  let start = 0;
  while (start < len) {
    const nl = data.indexOf(10, start);
    const stop = nl === -1 ? len : nl;
    let end = stop;
    if (stripCR && nl !== -1 && end > start && data[end - 1] === 13) end--;
    while (end - start > maxLine) {
      fn(start, start + maxLine);
      start += maxLine;
    }
    fn(start, end);
    start = stop + 1;
  }
}

/** The lines of a batch as views (for sinks that need them one by one). */
export function splitBatch(b: LineBatch): Buffer[] {
  const lines: Buffer[] = [];
  eachLine(b, (start, end) => lines.push(b.data.subarray(start, end)));
  return lines;
}

/** The "\n" in data, plus one when it does not end with one: the fewest records it makes (a line over maxLine makes more). */
export function countLinesJs(data: Buffer): number {
  let n = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) n++;
  return data.length > 0 && data[data.length - 1] !== 10 ? n + 1 : n;
}
