/**
 * The hot path of the multiplexed output: `prefix + line + \n` for every line of a batch, written straight
 * into the output writer's buffer, with no per-line objects. native/output.c does it (memchr + memcpy, one
 * call per batch); when that addon cannot be loaded, the same in JavaScript: find the lines (eachLine's
 * rules) into reused scratch space, then copy.
 */
import type { LineBatch } from './lines.js';
import { outputAddon } from './native.js';

/** Write the prefixed lines into out from off on: the bytes written, or minus the room needed (writing nothing). */
export function prefixLinesInto(b: LineBatch, prefix: Buffer, out: Buffer, off: number): number {
  const native = outputAddon();
  return native ? native.prefixLines(b.data, prefix, b.maxLine, b.stripCR, out, off) : prefixLinesJs(b, prefix, out, off);
}

/** The prefixed lines in a buffer of their own. */
export function prefixLines(b: LineBatch, prefix: Buffer, into = prefixLinesInto): Buffer {
  const out = Buffer.allocUnsafe(-into(b, prefix, Buffer.alloc(0), 0));
  into(b, prefix, out, 0);
  return out;
}

let bounds = new Int32Array(2 * 1024);

function grow(): void {
  const next = new Int32Array(bounds.length * 2);
  next.set(bounds);
  bounds = next;
}

export function prefixLinesJs(b: LineBatch, prefix: Buffer, out: Buffer, off: number): number {
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
  const pl = prefix.length;
  const need = bytes + (n >> 1) * (pl + 1);
  if (need > out.length - off) return -need;
  let at = off;
  for (let i = 0; i < n; i += 2) {
    out.set(prefix, at);
    at += pl;
    at += data.copy(out, at, bounds[i], bounds[i + 1]);
    out[at++] = 10;
  }
  return need;
}
