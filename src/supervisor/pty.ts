/**
 * node-pty, loaded on first use (only programs that ask for a terminal need it). Inside the single
 * executable its pty.node comes through the SEA asset loader (see pid1/native.ts and build/).
 */
import type { Readable } from 'node:stream';

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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require('node-pty') as PtyModule;
  }
  return cached;
}

export type { Readable };
