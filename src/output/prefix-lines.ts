/**
 * The hot path of the multiplexed output: `prefix + line + \n` for every line of a batch, in one buffer,
 * with no per-line objects. native/lines.c does it (memchr + memcpy, one call per batch); when that addon
 * cannot be loaded, the same in JavaScript: find the lines (eachLine's rules) into reused scratch space,
 * then size one buffer and copy into it.
 */
import { loadAddon } from '../pid1/native.js';
import type { LineBatch } from './lines.js';

interface LinesAddon {
  prefixLines(data: Buffer, prefix: Buffer, maxLine: number, stripCR: boolean): Buffer;
}

/** Loaded on first use (off the start-up path); null when it cannot be, and then never tried again. */
let addon: LinesAddon | null | undefined;

function linesAddon(): LinesAddon | null {
  if (addon === undefined) {
    try {
      addon = loadAddon('lines') as LinesAddon;
    } catch {
      addon = null;
    }
  }
  return addon;
}

export function prefixLines(b: LineBatch, prefix: Buffer): Buffer {
  const native = linesAddon();
  return native ? native.prefixLines(b.data, prefix, b.maxLine, b.stripCR) : prefixLinesJs(b, prefix);
}

let bounds = new Int32Array(2 * 1024);

function grow(): void {
  const next = new Int32Array(bounds.length * 2);
  next.set(bounds);
  bounds = next;
}

export function prefixLinesJs(b: LineBatch, prefix: Buffer): Buffer {
  const { data, maxLine, stripCR } = b;
  const len = data.length;
  let n = 0;
  let bytes = 0;
  let start = 0;
  while (start < len) {
    const nl = data.indexOf(10, start);
    const stop = nl === -1 ? len : nl;
    let end = stop;
    if (stripCR && nl !== -1 && end > start && data[end - 1] === 13) end--;
    for (;;) {
      const cut = end - start > maxLine ? start + maxLine : end;
      if (n + 2 > bounds.length) grow();
      bounds[n++] = start;
      bounds[n++] = cut;
      bytes += cut - start;
      if (cut === end) break;
      start = cut;
    }
    start = stop + 1;
  }
  const lines = n >> 1;
  const pl = prefix.length;
  const out = Buffer.allocUnsafe(bytes + lines * (pl + 1));
  let off = 0;
  for (let i = 0; i < n; i += 2) {
    out.set(prefix, off);
    off += pl;
    off += data.copy(out, off, bounds[i], bounds[i + 1]);
    out[off++] = 10;
  }
  return out;
}
