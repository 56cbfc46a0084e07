/**
 * node-pty, loaded on first use (only programs that ask for a terminal need it). From the npm package it
 * is an ordinary dependency; in the single executable it is bundled, and its pty.node comes through the
 * SEA asset loader (pid1/native.ts; build/node-pty-plugin.mjs routes node-pty's own loader there).
 */
import { write as fsWrite } from 'node:fs';
import type { Readable } from 'node:stream';
import { NativeLoadError } from '../pid1/native.js';

export interface PtyProcess {
  readonly pid: number;
  cols: number;
  rows: number;
  onData(cb: (data: Buffer | string) => void): { dispose(): void };
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
  pause(): void;
  resume(): void;
}

export interface PtyModule {
  spawn(
    file: string,
    args: string[],
    opts: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string>; encoding: null; uid?: number; gid?: number },
  ): PtyProcess;
}

let cached: PtyModule | null = null;

export function loadPty(): PtyModule {
  if (!cached) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require('node-pty') as PtyModule;
    } catch (err) {
      if (err instanceof NativeLoadError) throw err;
      throw new NativeLoadError(`terminal support is unavailable: cannot load node-pty (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return cached;
}

/** The longest wait between two tries of a write the terminal refused (EAGAIN). */
export const MAX_WRITE_RETRY_MS = 100;

/** node-pty 1.x's write queue of a terminal (unixTerminal.js, CustomWriteStream): what boundWriteRetries needs. */
interface PtyWriteStream {
  _fd: number;
  _writeQueue: Array<{ buffer: Buffer; offset: number }>;
  _writeImmediate?: NodeJS.Immediate;
  _processWriteQueue(): void;
  dispose(): void;
}

/**
 * node-pty retries a write the terminal refused (EAGAIN: its program does not read, the terminal's 4 KiB
 * buffer is full) with setImmediate, so on every turn of the event loop a write(2) goes through the thread
 * pool: 64 KiB typed into a program that does not read cost procinit 64 % of a core for as long as it did
 * not read. Here the retry waits 1 ms, then twice as long each time, up to MAX_WRITE_RETRY_MS (back to
 * 1 ms after a write goes through). The same queue otherwise (order, partial writes, errors end it; the
 * queue is bounded by attach.ts). Relies on node-pty's internals: false (nothing changed) when they are not
 * as expected; test/integration/connect-stdin.test.ts fails then.
 */
export function boundWriteRetries(pty: PtyProcess): boolean {
  const ws = (pty as unknown as { _writeStream?: Partial<PtyWriteStream> })._writeStream;
  if (!ws || typeof ws._fd !== 'number' || !Array.isArray(ws._writeQueue) || typeof ws._processWriteQueue !== 'function' || typeof ws.dispose !== 'function') return false;
  const stream = ws as PtyWriteStream;
  let delay = 0;
  let timer: NodeJS.Timeout | undefined;
  stream._processWriteQueue = function processWriteQueue(): void {
    timer = undefined;
    if (stream._writeQueue.length === 0) return;
    const task = stream._writeQueue[0];
    fsWrite(stream._fd, task.buffer, task.offset, (err, written) => {
      if (err) {
        if (err.code === 'EAGAIN') {
          delay = Math.min(delay === 0 ? 1 : delay * 2, MAX_WRITE_RETRY_MS);
          timer = setTimeout(processWriteQueue, delay);
        } else {
          stream._writeQueue.length = 0; // the terminal is gone (EIO): what was queued is dropped
        }
        return;
      }
      delay = 0;
      task.offset += written;
      if (task.offset >= task.buffer.byteLength) stream._writeQueue.shift();
      processWriteQueue();
    });
  };
  const dispose = stream.dispose.bind(stream);
  stream.dispose = (): void => {
    clearTimeout(timer);
    timer = undefined;
    dispose();
  };
  return true;
}

export type { Readable };
