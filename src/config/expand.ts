/**
 * supervisord's `%(name)s` expansions: Python's `str % mapping` (CPython 3.11 `PyUnicode_Format`), ported.
 *
 * `%(key)` then flags `-+ #0`, a width, `.precision`, an ignored `h`/`l`/`L`, and a conversion:
 * `s r a` (text), `d i u o x X` (integers), `e E f F g G` (floats), `c` (character); `%%` is a literal `%`.
 * Names: `here`, `host_node_name`, `program_name`, `group_name`, `process_num`, `numprocs`, `ENV_X`
 * (which of them exist depends on the option: supervisord's rules, applied by supervisord.ts).
 *
 * One deliberate difference: a conversion without a `(name)`, such as `date +%s`, formats the whole expansion
 * table under Python (`%s` → `{'ENV_PATH': ...}`) or fails; procinit always refuses it and suggests `%%`.
 */
import { ConfigError } from './errors.js';

export type ExpansionValue = string | number;
export type Expansions = Readonly<Record<string, ExpansionValue>>;

/** Why a template cannot be expanded: an unknown name (Python's KeyError) or a malformed format. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    readonly kind: 'unknown-name' | 'bad-format',
    message: string,
    /** The unknown name, for kind 'unknown-name'. */
    readonly key: string | null = null,
  ) {
    super(message);
  }
}

interface Spec {
  ljust: boolean;
  sign: boolean;
  blank: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  prec: number; // -1 = none
}

/** `template % expansions` with Python's semantics; throws FormatError. */
export function pyFormat(template: string, expansions: Expansions): string {
  const s = Array.from(template); // code points, as Python indexes them
  let out = '';
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    const start = i;
    i++;
    if (i >= n) throw new FormatError('bad-format', 'incomplete format');
    if (s[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    let key: string | null = null;
    if (s[i] === '(') {
      let depth = 1;
      const keyStart = ++i;
      while (i < n && depth > 0) {
        if (s[i] === ')') depth--;
        else if (s[i] === '(') depth++;
        i++;
      }
      if (depth > 0) throw new FormatError('bad-format', 'incomplete format key');
      key = s.slice(keyStart, i - 1).join('');
      if (!Object.hasOwn(expansions, key)) throw new FormatError('unknown-name', `unknown name '${key}'`, key);
    }
    const spec: Spec = { ljust: false, sign: false, blank: false, alt: false, zero: false, width: -1, prec: -1 };
    for (; i < n; i++) {
      const f = s[i];
      if (f === '-') spec.ljust = true;
      else if (f === '+') spec.sign = true;
      else if (f === ' ') spec.blank = true;
      else if (f === '#') spec.alt = true;
      else if (f === '0') spec.zero = true;
      else break;
    }
    if (i < n && s[i] === '*') {
      // With a mapping, '*' always runs out of arguments in Python.
      throw new FormatError('bad-format', "'*' width needs positional arguments");
    }
    if (i < n && isDigit(s[i])) {
      let w = 0;
      while (i < n && isDigit(s[i])) w = w * 10 + Number(s[i++]);
      spec.width = w;
    }
    if (i < n && s[i] === '.') {
      i++;
      if (i < n && s[i] === '*') throw new FormatError('bad-format', "'*' precision needs positional arguments");
      let p = 0;
      while (i < n && isDigit(s[i])) p = p * 10 + Number(s[i++]);
      spec.prec = p;
    }
    if (i < n && (s[i] === 'h' || s[i] === 'l' || s[i] === 'L')) i++;
    if (i >= n) throw new FormatError('bad-format', 'incomplete format');
    const conv = s[i];
    i++;
    if (!'srauidoxXeEfFgGc'.includes(conv) || conv === '') {
      const code = conv.codePointAt(0) ?? 0;
      throw new FormatError(
        'bad-format',
        // as Python words it, but a line break or other control character is shown escaped (one-line messages)
        `unsupported format character '${code < 0x20 || code === 0x7f ? pyRepr(conv).slice(1, -1) : conv}' (0x${code.toString(16)}) at index ${i - 1}`,
      );
    }
    if (key === null) {
      throw new FormatError(
        'bad-format',
        `'${s.slice(start, i).join('')}' has no (name): write %% for a literal %`,
      );
    }
    out += formatOne(expansions[key], conv, spec);
  }
  return out;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function formatOne(value: ExpansionValue, conv: string, spec: Spec): string {
  switch (conv) {
    case 's':
    case 'r':
    case 'a': {
      let text = conv === 's' ? String(value) : typeof value === 'number' ? String(value) : pyRepr(value, conv === 'a');
      if (spec.prec >= 0) text = Array.from(text).slice(0, spec.prec).join('');
      return pad(text, spec, false, '');
    }
    case 'c': {
      let ch: string;
      if (typeof value === 'number') {
        if (value < 0 || value > 0x10ffff) throw new FormatError('bad-format', '%c arg not in range(0x110000)');
        ch = String.fromCodePoint(value);
      } else {
        if (Array.from(value).length !== 1) throw new FormatError('bad-format', '%c requires int or char');
        ch = value;
      }
      return pad(ch, spec, false, '');
    }
    default:
      if (typeof value !== 'number') {
        throw new FormatError('bad-format', `%${conv} format: a real number is required, not str`);
      }
      return 'diuoxX'.includes(conv) ? formatInt(value, conv, spec) : formatFloat(value, conv, spec);
  }
}

/** Apply width: spaces left (or right with '-'), or zeros after the sign/prefix for numbers with '0'. */
function pad(body: string, spec: Spec, numeric: boolean, signPrefix: string): string {
  const len = Array.from(signPrefix + body).length;
  if (spec.width <= len) return signPrefix + body;
  const fill = spec.width - len;
  if (spec.ljust) return signPrefix + body + ' '.repeat(fill);
  if (numeric && spec.zero) return signPrefix + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + signPrefix + body;
}

function signOf(negative: boolean, spec: Spec): string {
  if (negative) return '-';
  if (spec.sign) return '+';
  if (spec.blank) return ' ';
  return '';
}

function formatInt(value: number, conv: string, spec: Spec): string {
  const big = BigInt(Math.trunc(value));
  const negative = big < 0n;
  const abs = negative ? -big : big;
  let digits: string;
  let prefix = '';
  if (conv === 'o') {
    digits = abs.toString(8);
    if (spec.alt) prefix = '0o';
  } else if (conv === 'x' || conv === 'X') {
    digits = abs.toString(16);
    if (spec.alt) prefix = '0x';
    if (conv === 'X') {
      digits = digits.toUpperCase();
      prefix = prefix.toUpperCase();
    }
  } else {
    digits = abs.toString(10);
  }
  if (spec.prec > digits.length) digits = '0'.repeat(spec.prec - digits.length) + digits;
  return pad(digits, spec, true, signOf(negative, spec) + prefix);
}

function formatFloat(value: number, conv: string, spec: Spec): string {
  const negative = value < 0 || Object.is(value, -0);
  const x = Math.abs(value);
  const prec = spec.prec < 0 ? 6 : spec.prec;
  const lower = conv.toLowerCase();
  let body: string;
  if (lower === 'f') body = fixed(x, prec, spec.alt);
  else if (lower === 'e') body = exponential(x, prec, spec.alt);
  else body = general(x, prec === 0 ? 1 : prec, spec.alt);
  if (conv !== lower) body = body.toUpperCase();
  return pad(body, spec, true, signOf(negative, spec));
}

function fixed(x: number, prec: number, alt: boolean): string {
  let s: string;
  if (x < 1e21) {
    s = x.toFixed(Math.min(prec, 100));
    if (prec > 100) s += '0'.repeat(prec - 100);
  } else {
    s = BigInt(x).toString() + (prec > 0 ? '.' + '0'.repeat(prec) : '');
  }
  if (alt && prec === 0) s += '.';
  return s;
}

function exponential(x: number, prec: number, alt: boolean): string {
  const raw = x.toExponential(Math.min(prec, 100));
  const [mantissa0, exp] = raw.split('e');
  let mantissa = mantissa0 + (prec > 100 ? '0'.repeat(prec - 100) : '');
  if (alt && prec === 0) mantissa += '.';
  return `${mantissa}e${exp[0]}${exp.slice(1).padStart(2, '0')}`;
}

function general(x: number, p: number, alt: boolean): string {
  if (x === 0) {
    return alt ? '0.' + '0'.repeat(p - 1) : '0';
  }
  const exp = Number(x.toExponential(Math.min(p - 1, 100)).split('e')[1]);
  let s: string;
  if (exp >= -4 && exp < p) {
    s = fixed(x, p - 1 - exp, false);
    if (alt) {
      if (!s.includes('.')) s += '.';
    } else if (s.includes('.')) {
      s = s.replace(/0+$/, '').replace(/\.$/, '');
    }
  } else {
    s = exponential(x, p - 1, alt);
    if (!alt) {
      const [m, e] = s.split('e');
      s = (m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m) + 'e' + e;
    }
  }
  return s;
}

/** Python's repr() (or ascii() when asciiOnly) of a str. */
export function pyRepr(value: string, asciiOnly = false): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else if (cp < 0x7f) out += ch;
    else if (asciiOnly || !isPrintable(ch)) {
      out += cp <= 0xff ? '\\x' + hex(cp, 2) : cp <= 0xffff ? '\\u' + hex(cp, 4) : '\\U' + hex(cp, 8);
    } else out += ch;
  }
  return out + quote;
}

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/** str.isprintable() for one non-ASCII character: not Other (C*) nor Separator (Z*). */
function isPrintable(ch: string): boolean {
  return !/^[\p{C}\p{Z}]$/u.test(ch);
}

/** Where a template comes from, for the error message. */
export interface TemplateSource {
  file: string;
  line: number;
  /** e.g. "program:web command". */
  what: string;
}

/**
 * Expand one config value as supervisord's `expand()` does; an unknown name or a malformed format is a
 * ConfigError naming file:line, the option and the names that were available.
 */
export function expandTemplate(template: string, expansions: Expansions, source: TemplateSource): string {
  try {
    return pyFormat(template, expansions);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    throw new ConfigError(source.file, source.line, describeFormatError(err, template, expansions, source.what));
  }
}

export function describeFormatError(err: FormatError, template: string, expansions: Expansions, what: string): string {
  if (err.kind === 'unknown-name') {
    const names = Object.keys(expansions).filter((k) => !k.startsWith('ENV_')).sort();
    const key = err.key ?? '';
    const hint = key.startsWith('ENV_')
      ? `environment variable ${key.slice(4)} is not set`
      : `available names: ${[...names, 'ENV_<variable>'].join(', ')}`;
    return `${what}: cannot expand %(${key}) in ${JSON.stringify(template)}: ${hint}`;
  }
  const hint = /%[A-Za-z_]+%|\$\{|\{\{/.test(template)
    ? ' (an unfilled template? supervisord only expands %(name)s; write %% for a literal %)'
    : ' (write %% for a literal %)';
  return `${what}: bad format ${JSON.stringify(template)}: ${err.message}${hint}`;
}
