/**
 * procinit's output addon (native/output.c): pipe2 for children's output and the line-prefixing loop.
 * Loaded on first use, off the start-up path; null when it cannot be loaded (then plain child_process
 * pipes and the JavaScript loop do the same work, slower), and never tried twice.
 */
import { loadAddon } from '../pid1/native.js';

export interface OutputAddon {
  /** pipe2(O_CLOEXEC): [read end, write end], the read end non-blocking when asked. */
  pipe(nonBlockingRead: boolean): [number, number];
  /** See native/output.c: bytes written into out from off, or minus the room needed. */
  prefixLines(data: Buffer, prefix: Buffer, maxLine: number, stripCR: boolean, out: Buffer, off: number): number;
}

let addon: OutputAddon | null | undefined;

export function outputAddon(): OutputAddon | null {
  if (addon === undefined) {
    try {
      addon = loadAddon('output') as OutputAddon;
    } catch {
      addon = null;
    }
  }
  return addon;
}
