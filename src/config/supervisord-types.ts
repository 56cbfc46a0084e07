/**
 * supervisord's value types (`supervisor/datatypes.py`), ported: how each option's text becomes a value, and
 * which texts supervisord refuses. Each converter throws ValueError with a message naming the value; the
 * caller (supervisord.ts) turns it into ConfigError(file, line, "option: message").
 */
import { SIGNALS } from './errors.js';
import { isPySpace, pyStrip } from './ini.js';
import { shlexTokens } from './shlex.js';

export class ValueError extends Error {
  override readonly name = 'ValueError';
}

const q = (s: string): string => JSON.stringify(s);

/**
 * Python's int(text, base) for base 10 and 8: surrounding whitespace, a sign, digits with single underscores
 * between them, and for base 8 an optional 0o prefix. (Non-ASCII decimal digits, which Python also takes, are
 * refused.)
 */
export function pyInt(text: string, base: 8 | 10 = 10): number {
  const s = pyStrip(text);
  const digit = base === 8 ? '[0-7]' : '[0-9]';
  const prefix = base === 8 ? '(?:0[oO]_?)?' : '';
  const m = new RegExp(`^([+-]?)${prefix}(${digit}+(?:_${digit}+)*)$`).exec(s);
  if (!m) throw new ValueError(base === 8 ? `${q(text)} is not an octal number` : `${q(text)} is not a whole number`);
  const n = parseInt(m[2].replace(/_/g, ''), base);
  return m[1] === '-' ? -n : n;
}

/** `integer`: Python int(). */
export function integer(text: string): number {
  return pyInt(text, 10);
}

/** A whole number >= 0 (procinit refuses negatives where supervisord would take them). */
export function nonNegativeInteger(text: string): number {
  const n = integer(text);
  if (n < 0) throw new ValueError(`${q(text)} is negative (a whole number >= 0 is needed)`);
  return n;
}

const TRUTHY = ['yes', 'true', 'on', '1'];
const FALSY = ['no', 'false', 'off', '0'];

/** `boolean`: yes/true/on/1 or no/false/off/0, any case, nothing else (no surrounding spaces either). */
export function boolean(text: string): boolean {
  const s = text.toLowerCase();
  if (TRUTHY.includes(s)) return true;
  if (FALSY.includes(s)) return false;
  throw new ValueError(`${q(text)} is not a boolean (true/false, yes/no, on/off, 1/0)`);
}

/** `auto_restart`: true (any truthy), false (any falsy) or unexpected. */
export function autoRestart(text: string): 'true' | 'false' | 'unexpected' {
  const s = text.toLowerCase();
  if (TRUTHY.includes(s)) return 'true';
  if (FALSY.includes(s)) return 'false';
  if (s === 'unexpected') return 'unexpected';
  throw new ValueError(`${q(text)} is not true, false or unexpected`);
}

const BYTE_SUFFIXES: Array<[string, number]> = [
  ['kb', 1024],
  ['mb', 1024 * 1024],
  ['gb', 1024 * 1024 * 1024],
];

/** `byte_size`: a whole number with an optional KB/MB/GB suffix (any case, powers of 1024). */
export function byteSize(text: string): number {
  const v = text.toLowerCase();
  try {
    for (const [suffix, mult] of BYTE_SUFFIXES) {
      if (v.slice(-2) === suffix) return pyInt(v.slice(0, -2)) * mult;
    }
    return pyInt(v);
  } catch {
    throw new ValueError(`${q(text)} is not a size (a number of bytes, optionally with KB, MB or GB)`);
  }
}

/** Signal aliases Python's `signal` module knows that errors.ts's table spells differently. */
const SIGNAL_ALIASES: Record<string, string> = { IOT: 'ABRT', CLD: 'CHLD', POLL: 'IO' };

/**
 * `signal_number`, returning the name without SIG ("TERM"). A number or a name, with or without SIG, any case.
 * Deliberate difference: supervisord also takes 0, SIGRTMIN/SIGRTMAX (34/64) and names such as _DFL;
 * procinit refuses those (they are not stop signals).
 */
export function signalName(text: string): string {
  const s = pyStrip(text);
  let name: string | undefined;
  let n: number | null = null;
  try {
    n = pyInt(s);
  } catch {
    n = null;
  }
  if (n !== null) {
    name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
  } else {
    const upper = s.toUpperCase();
    const bare = upper.startsWith('SIG') ? upper.slice(3) : upper;
    const canonical = SIGNAL_ALIASES[bare] ?? bare;
    if (Object.hasOwn(SIGNALS, canonical)) name = canonical;
  }
  if (name === undefined) throw new ValueError(`${q(text)} is not a signal name or number (e.g. TERM, INT, QUIT, 15)`);
  return name;
}

/** `list_of_exitcodes`: comma-separated whole numbers 0-255 (empty = none). */
export function exitCodes(text: string): number[] {
  if (text === '') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    let n: number;
    try {
      n = pyInt(part);
    } catch {
      throw new ValueError(`${q(text)} is not a list of exit codes (e.g. 0,2)`);
    }
    if (n < 0 || n > 255) throw new ValueError(`${q(text)}: exit code ${n} is not between 0 and 255`);
    out.push(n);
  }
  return out;
}

/** `octal_type`: Python int(text, 8). */
export function octal(text: string): number {
  return pyInt(text, 8);
}

/** `list_of_strings`: comma-separated, each trimmed (empty text = empty list). */
export function listOfStrings(text: string | null): string[] {
  if (!text) return [];
  return text.split(',').map(pyStrip);
}

/** `process_or_group_name`: trimmed; no space, colon or slash. */
export function processOrGroupName(text: string): string {
  const s = pyStrip(text);
  for (const c of [' ', ':', '/']) {
    if (s.includes(c)) throw new ValueError(`invalid name ${q(text)}: it contains ${q(c)}`);
  }
  return s;
}

export interface KeyValuePairs {
  pairs: Record<string, string>;
  /** Things supervisord silently drops or misreads, worth a warning. */
  oddities: string[];
}

/**
 * `dict_of_key_value_pairs`: supervisord's `environment=` syntax, `KEY=val,KEY2="a,b"`. A classic (non-POSIX)
 * shlex run whose word characters are [A-Za-z0-9_/.+\-():]; tokens are taken three at a time (key, `=`,
 * value) and the fourth is skipped as the separator; quotes around a value are stripped. Ported exactly,
 * including what supervisord silently drops (a value cut at the first other character, e.g. `A=x y` gives
 * `A=x`): those are reported in `oddities`.
 */
export function keyValuePairs(text: string): KeyValuePairs {
  let tokens: string[];
  try {
    tokens = shlexTokens(text, { posix: false, extraWordChars: '/.+-():' });
  } catch (err) {
    throw new ValueError(`${q(text)}: ${(err as Error).message}`);
  }
  const pairs: Record<string, string> = {};
  const oddities: string[] = [];
  for (let i = 0; i < tokens.length; i += 4) {
    const kv = tokens.slice(i, i + 3);
    if (kv.length !== 3 || kv[1] !== '=') {
      throw new ValueError(`unexpected end of KEY=value pairs in ${q(text)} (near ${q(tokens.slice(i).join(' '))})`);
    }
    setOwn(pairs, kv[0], stripQuotes(kv[2]));
    const sep = tokens[i + 3];
    if (sep !== undefined && sep !== ',') {
      oddities.push(`${kv[0]}=${kv[2]} is followed by ${q(sep)}, which supervisord skips as a separator (quote values that hold spaces or other characters)`);
    }
  }
  return { pairs, oddities };
}

/** Python's str.strip('\'"'). */
function stripQuotes(s: string): string {
  return s.replace(/^['"]+/, '').replace(/['"]+$/, '');
}

/** Assign an own enumerable property, safe for keys such as "__proto__". */
export function setOwn(obj: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export type LogfileName = { kind: 'none' } | { kind: 'auto' } | { kind: 'syslog' } | { kind: 'path'; path: string };

/** `logfile_name`: NONE/OFF, AUTO, SYSLOG (any case) or a path. */
export function logfileName(text: string): LogfileName {
  const s = text.toLowerCase();
  if (s === 'none' || s === 'off') return { kind: 'none' };
  if (s === 'auto') return { kind: 'auto' };
  if (s === 'syslog') return { kind: 'syslog' };
  return { kind: 'path', path: text };
}

const LOG_LEVELS = ['critical', 'error', 'warn', 'info', 'debug', 'trace', 'blather'];

/** `logging_level`: critical, error, warn, info, debug, trace or blather (any case); returns it lower-cased. */
export function loggingLevel(text: string): string {
  const s = text.toLowerCase();
  if (!LOG_LEVELS.includes(s)) throw new ValueError(`${q(text)} is not a log level (${LOG_LEVELS.join(', ')})`);
  return s;
}

/** Python's str.split() without arguments: on runs of whitespace, no empty parts. */
export function pySplitWhitespace(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const c of text) {
    if (isPySpace(c)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}
