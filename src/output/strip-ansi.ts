/**
 * supervisord's stripEscapes (`[supervisord] strip_ansi = true`): drop every `ESC [` … up to one of
 * `HfABCDRsuJKhlpm` from a chunk of output, as supervisord does, chunk by chunk (an escape cut by a read
 * boundary leaves its tail, under supervisord as here). Returns the chunk itself when it holds no escape.
 */
const ESC = 0x1b;
const BRACKET = 0x5b;
const TERMINATORS = new Set([...'HfABCDRsuJKhlpm'].map((c) => c.charCodeAt(0)));

export function stripEscapes(chunk: Buffer): Buffer {
  let n = chunk.indexOf(ESC);
  while (n !== -1 && chunk[n + 1] !== BRACKET) n = chunk.indexOf(ESC, n + 1);
  if (n === -1) return chunk;
  const out = Buffer.allocUnsafe(chunk.length);
  let len = 0;
  let i = 0;
  let show = true;
  while (i < chunk.length) {
    if (!show) {
      if (TERMINATORS.has(chunk[i])) show = true;
      i++;
      continue;
    }
    let at = chunk.indexOf(ESC, i);
    while (at !== -1 && chunk[at + 1] !== BRACKET) at = chunk.indexOf(ESC, at + 1);
    if (at === -1) {
      len += chunk.copy(out, len, i);
      break;
    }
    len += chunk.copy(out, len, i, at);
    // supervisord moves past the ESC and looks for a terminator from the '[' on
    i = at + 1;
    show = false;
  }
  return out.subarray(0, len);
}
