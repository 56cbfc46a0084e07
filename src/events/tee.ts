/**
 * Read a child's output pipe before the output hub does: each chunk goes through `see` (the eventlistener
 * protocol, capture mode, PROCESS_LOG events), and what it returns goes on to the hub as a stream. The hub's
 * back-pressure still reaches the pipe: when the hub stops reading, so does this.
 */
import { readPipe, type OutputPipe, type PipeSource } from '../output/pipe.js';

export interface Tee {
  pipe: OutputPipe;
  /** Read at once what the pipe holds (the program just exited). */
  drain(): void;
}

export function teePipe(pipe: OutputPipe, see: (chunk: Buffer) => Buffer, onFault: (err: Error) => void, atEnd?: () => Buffer): Tee {
  let source: PipeSource | null = null;
  // node:stream with the first listener's pipe, not at every start (procinit's own output does without it)
  const { Readable } = require('node:stream') as typeof import('node:stream');
  const out = new Readable({
    read: () => source?.resume(),
  });
  source = readPipe(
    pipe,
    (chunk) => {
      let pass: Buffer;
      try {
        pass = see(chunk);
      } catch (err) {
        onFault(err as Error);
        pass = chunk;
      }
      // the chunk may be a view of a shared read buffer: what is kept is copied
      if (pass.length > 0 && !out.push(Buffer.from(pass))) source?.pause();
    },
    () => {
      try {
        const rest = atEnd?.();
        if (rest && rest.length > 0) out.push(Buffer.from(rest));
      } catch (err) {
        onFault(err as Error);
      }
      out.push(null);
    },
  );
  // the descriptor read underneath, for the log's `fd N closed` line
  return { pipe: Object.assign({ readable: out }, 'fd' in pipe ? { sourceFd: pipe.fd } : {}), drain: () => source?.drain() };
}
