/**
 * node-pty, loaded on first use (only programs that ask for a terminal need it). From the npm package it
 * is an ordinary dependency; in the single executable it is bundled, and its pty.node comes through the
 * SEA asset loader (pid1/native.ts; build/node-pty-plugin.mjs routes node-pty's own loader there).
 */
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

export type { Readable };
