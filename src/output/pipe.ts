/**
 * A child's stdout or stderr as procinit reads it. Where the output addon loads, procinit makes the pipe
 * itself (pipe2) and reads every pipe into one shared buffer through net.Socket's `onread`: nothing is
 * allocated per read. Otherwise it is child_process's own pipe, read as a stream of fresh chunks.
 */
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { Readable } from 'node:stream';
import { outputAddon } from './native.js';

export type OutputPipe = { fd: number } | { readable: Readable };

/** Something that produces bytes and can be paused: a pipe or a pty. */
export interface Source {
  pause(): void;
  resume(): void;
}

/** One read buffer for every pipe: each read is handled (and copied where kept) before the next begins. */
const shared = Buffer.allocUnsafeSlow(64 * 1024);

/** A fresh pipe for a child's output: [read end, write end], both close-on-exec; null without the addon. */
export function outputPipePair(): [number, number] | null {
  return outputAddon()?.pipe() ?? null;
}

/**
 * Read the pipe until it ends. onChunk gets each chunk synchronously; with a shared buffer the bytes are
 * overwritten by the next read, so whatever is kept must be copied.
 */
export function readPipe(pipe: OutputPipe, onChunk: (chunk: Buffer) => void, onEnd: () => void): Source {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  let readable: Readable;
  if ('fd' in pipe) {
    // `onread` is a documented Socket option that @types/node lists for connect() only
    const opts: SocketConstructorOpts & { onread: { buffer: Buffer; callback(n: number, buf: Buffer): void } } = {
      fd: pipe.fd,
      readable: true,
      writable: false,
      onread: { buffer: shared, callback: (n, buf) => onChunk(buf.subarray(0, n)) },
    };
    readable = new Socket(opts);
  } else {
    readable = pipe.readable;
    readable.on('data', onChunk);
  }
  readable.once('end', end);
  readable.once('error', end);
  readable.once('close', end);
  readable.resume();
  return { pause: () => readable.pause(), resume: () => readable.resume() };
}
