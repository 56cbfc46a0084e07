/**
 * supervisord's way with `stdout_logfile=/dev/stdout` (and /dev/stderr): a program's bytes go out exactly as
 * they were read from its pipe, no prefix, no line splitting, an unterminated last line left unterminated.
 * Each chunk read is written as one piece, in the order the chunks were read, as supervisord writes each
 * read to its log handler: a program that writes whole lines with one write(2) each (line-buffered stdio,
 * most loggers) keeps its lines whole between concurrent writers, and a line written in parts may be
 * interleaved at those parts, under supervisord as here.
 *
 * Where native/pump.c reads the pipe (the usual case), the pump writes these bytes to stdout itself and
 * this sink only counts them (and writes a stretch too big for the pump's buffer); it writes everything
 * for the other readers (an addon without the pump, a tee). The read buffer is reused after the hub
 * returns, so the bytes are copied into the writer's slabs (no allocation per chunk).
 */
import type { FdWriter } from './writer.js';

export class RawSink {
  /** Bytes passed through so far (tests, status). */
  bytes = 0;

  constructor(readonly writer: FdWriter) {}

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.bytes += chunk.length;
    this.writer.writeWith((buf, off) => (buf.length - off < chunk.length ? -chunk.length : chunk.copy(buf, off)));
  }
}
