/**
 * The output part of procinit's addon (native/output.c): pipe2 for children's output, the line-prefixing
 * loop, isatty.
 * Loaded on first use, off the start-up path; null when it cannot be loaded (then plain child_process
 * pipes and the JavaScript loop do the same work, slower), and never tried twice.
 */
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';

export interface OutputAddon {
  /** pipe2(O_CLOEXEC): [read end, write end], the read end non-blocking when asked. */
  pipe(nonBlockingRead: boolean): [number, number];
  /** See native/output.c: bytes written into out from off, or minus the room needed. */
  prefixLines(data: Buffer, prefix: Buffer, maxLine: number, stripCR: boolean, out: Buffer, off: number): number;
  /** The "\n" in data, plus one when it does not end with one (native/output.c). */
  countLines?(data: Buffer): number;
  /** A pipe's capacity in bytes (F_GETPIPE_SZ), or minus errno (an addon built before it has none). */
  pipeCapacity?(fd: number): number;
  /** isatty(3) without Node's tty module (which loads net and streams). */
  isatty(fd: number): boolean;
}

let addon: OutputAddon | null | undefined;

/** isatty(fd): through the addon, else Node's tty module (which loads net and streams, about 4 ms). */
export function isTerminal(fd: number): boolean {
  const addon = outputAddon();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return addon ? addon.isatty(fd) : (require('node:tty') as typeof import('node:tty')).isatty(fd);
}

export function outputAddon(): OutputAddon | null {
  if (addon === undefined) {
    try {
      addon = loadAddon(PROCINIT_ADDON) as OutputAddon;
    } catch {
      addon = null;
    }
  }
  return addon;
}
