/**
 * Split a byte stream into whole lines, per stream. Works on Buffers; a line longer than maxLine is
 * cut into parts (each still a whole record); an unterminated tail is kept until the next chunk or flush().
 */
export const DEFAULT_MAX_LINE = 64 * 1024;

export class LineSplitter {
  private tail: Buffer | null = null;

  /** stripCR: drop a trailing \r (a terminal's \r\n line ends). */
  constructor(
    private readonly maxLine = DEFAULT_MAX_LINE,
    private readonly stripCR = false,
  ) {}

  /** Complete lines in this chunk (without the newline; a trailing \r is kept as the program wrote it). */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let data = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = null;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl === -1) break;
      this.emit(data.subarray(start, nl), lines);
      start = nl + 1;
    }
    if (start < data.length) {
      let rest = data.subarray(start);
      while (rest.length >= this.maxLine) {
        lines.push(rest.subarray(0, this.maxLine));
        rest = rest.subarray(this.maxLine);
      }
      // copy so that the big chunk it came from can be freed
      this.tail = rest.length > 0 ? Buffer.from(rest) : null;
    }
    data = Buffer.alloc(0);
    return lines;
  }

  /** The unterminated tail, if any (at EOF). */
  flush(): Buffer[] {
    const t = this.tail;
    this.tail = null;
    return t && t.length > 0 ? [t] : [];
  }

  private emit(line: Buffer, out: Buffer[]): void {
    if (this.stripCR && line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    while (line.length > this.maxLine) {
      out.push(line.subarray(0, this.maxLine));
      line = line.subarray(this.maxLine);
    }
    out.push(line);
  }
}
