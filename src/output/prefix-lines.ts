/**
 * The hot path of the multiplexed output: `prefix + line + \n` for every line of a batch, written straight
 * into the output writer's buffer, with no per-line objects. native/output.c does it (memchr + memcpy, one
 * call per batch); when that addon cannot be loaded, the same in JavaScript.
 */
import { eachLine, type LineBatch } from './lines.js';
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

/** The same in JavaScript, for when the addon cannot be loaded: eachLine finds the lines, then one copy. */
export function prefixLinesJs(b: LineBatch, prefix: Buffer, out: Buffer, off: number): number {
  const bounds: number[] = [];
  let bytes = 0;
  eachLine(b, (start, end) => {
    bounds.push(start, end);
    bytes += end - start;
  });
  const pl = prefix.length;
  const need = bytes + (bounds.length >> 1) * (pl + 1);
  if (need > out.length - off) return -need;
  let at = off;
  for (let i = 0; i < bounds.length; i += 2) {
    out.set(prefix, at);
    at += pl;
    at += b.data.copy(out, at, bounds[i], bounds[i + 1]);
    out[at++] = 10;
  }
  return need;
}
