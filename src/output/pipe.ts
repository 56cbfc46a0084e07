/**
 * A child's stdout or stderr as procinit reads it. Where the output addon loads, procinit makes the pipe
 * itself (pipe2); the hub has native/pump.c read it (pump.ts), and readPipe here reads it into one shared
 * buffer through net.Socket's `onread` for the other readers (src/events' tee) and an addon without the
 * pump: nothing is allocated per read. Otherwise it is child_process's own pipe, read as a stream of fresh
 * chunks.
 */
import { closeSync, readSync } from 'node:fs';
import type { SocketConstructorOpts } from 'node:net';
import type { Readable } from 'node:stream';
import { outputAddon } from './native.js';

export type OutputPipe = { fd: number } | { readable: Readable };

/** Something that produces bytes and can be paused: a pipe or a pty. */
export interface Source {
  pause(): void;
  resume(): void;
}

/**
 * One read buffer for every pipe: each read is handled (and copied where kept) before the next begins.
 * Made by the first pipe read here (the pump, native/pump.c, reads the others).
 */
let sharedBuffer: Buffer | null = null;
function shared(): Buffer {
  return (sharedBuffer ??= Buffer.allocUnsafeSlow(64 * 1024));
}

/** A child's output pipe: [read end (non-blocking), write end], both close-on-exec; null without the addon. */
export function outputPipePair(): [number, number] | null {
  return outputAddon()?.pipe(true) ?? null;
}

/** Pipes for a child's stdout and stderr, or null without the addon; none left open if one fails. */
export function outputPipes(): [[number, number], [number, number]] | null {
  const out = outputPipePair();
  if (!out) return null;
  try {
    return [out, outputPipePair()!];
  } catch (e) {
    out.forEach((fd) => closeSync(fd));
    throw e;
  }
}

/** A child's stdin pipe: [read end, write end], both close-on-exec and blocking; null without the addon. */
export function inputPipePair(): [number, number] | null {
  return outputAddon()?.pipe(false) ?? null;
}

export interface PipeSource extends Source {
  /** Read at once whatever the pipe holds (a program that just exited wrote its last lines there). */
  drain(): void;
}

/**
 * Read the pipe until it ends. onChunk gets each chunk synchronously; with a shared buffer the bytes are
 * overwritten by the next read, so whatever is kept must be copied.
 */
export function readPipe(pipe: OutputPipe, onChunk: (chunk: Buffer) => void, onEnd: () => void): PipeSource {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  const drain = (): void => {
    // the fd is ours until the socket ends (then it is closed, and its number may be someone else's)
    if (!('fd' in pipe) || ended) return;
    const buf = shared();
    for (;;) {
      let n: number;
      try {
        n = readSync(pipe.fd, buf, 0, buf.length, null);
      } catch {
        return; // EAGAIN: nothing more for now
      }
      if (n === 0) return end(); // end-of-file: an unterminated last line goes out now (the socket ends quietly)
      onChunk(buf.subarray(0, n));
    }
  };
  let readable: Readable | null = null;
  let paused = false;
  const start = (r: Readable): void => {
    readable = r;
    r.once('end', end);
    r.once('error', end);
    r.once('close', end);
    if (paused) r.pause();
    else r.resume();
  };
  if ('fd' in pipe) {
    // made on the next turn of the event loop: a start spawns every program first (a socket costs about
    // 0.2 ms), and the bytes wait in the pipe meanwhile
    setImmediate(() => {
      // `onread` is a documented Socket option that @types/node lists for connect() only
      const opts: SocketConstructorOpts & { onread: { buffer: Buffer; callback(n: number, buf: Buffer): void } } = {
        fd: pipe.fd,
        readable: true,
        writable: false,
        onread: { buffer: shared(), callback: (n, buf) => onChunk(buf.subarray(0, n)) },
      };
      // node:net is loaded here, after the programs have started, not at procinit's start (about 4 ms)
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      start(new (require('node:net') as typeof import('node:net')).Socket(opts));
    });
  } else {
    pipe.readable.on('data', onChunk);
    start(pipe.readable);
  }
  return {
    drain,
    pause: () => {
      paused = true;
      readable?.pause();
    },
    resume: () => {
      paused = false;
      readable?.resume();
    },
  };
}
