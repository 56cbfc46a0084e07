/**
 * Read a config file as text: UTF-8 (refused with file:line when it is not), a leading BOM dropped.
 * Line endings are left to each parser.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

const BOM = '\uFEFF';

/** Drop a UTF-8 byte-order mark at the start of the text, if any. */
export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(BOM.length) : text;
}

/** The file's text without BOM; ConfigError(file, null|line, ...) when unreadable or not UTF-8. */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, null, code === 'ENOENT' ? 'no such file' : `cannot read: ${code ?? String(err)}`);
  }
  try {
    return stripBom(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ConfigError(file, firstBadUtf8Line(bytes), 'not valid UTF-8 text');
  }
}

/** 1-based number of the first line that is not valid UTF-8 (lines split at LF bytes). */
function firstBadUtf8Line(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end < 0 ? bytes.length : end;
    try {
      decoder.decode(bytes.subarray(start, stop));
    } catch {
      return line;
    }
    if (end < 0) return line;
    start = end + 1;
  }
}
