/**
 * INI files as supervisord 4 reads them: Python's `configparser.RawConfigParser` (CPython 3.11 `_read`) with
 * supervisord's settings (`UnhosedConfigParser`: inline_comment_prefixes=(';', '#'), strict=False), ported.
 *
 * - `[name]` starts a section (the name is everything between the first `[` and the last `]`, case-sensitive);
 *   `[DEFAULT]` holds defaults every section sees. A section seen again (in this or an included file) is
 *   merged into the first; a key seen again replaces the earlier value (last wins) and keeps its place.
 * - `key = value` or `key: value`, split at the first `=` or `:`; keys are lower-cased; the value is trimmed.
 * - A line indented deeper than its key line continues the value (joined with newlines), blank lines inside a
 *   value are kept, trailing ones dropped. A deeper-indented `[x]` after a key is a continuation, not a section.
 * - Full-line comments start with `;` or `#` (after any indentation). Inline comments start with `;` or `#` at
 *   the start of the line or after whitespace, so `a;b` and `http://x/#frag` keep theirs. (Python's search goes
 *   in rounds over both prefixes; ported as is, so `a;b ;c #d` cuts at ` ;c`.)
 * - Line breaks are LF, CRLF or a lone CR (Python's universal newlines). "Whitespace" is Python's str.isspace().
 * - Errors: a line that is neither section, option, comment nor continuation, an empty key, or an option before
 *   any section: ConfigError(file, line). Python collects all bad lines and then fails; procinit names the first.
 *
 * Deliberate difference: a UTF-8 byte-order mark is accepted (Python, reading UTF-8, sees U+FEFF before the
 * first `[` and refuses the file with "File contains no section headers").
 */
import { ConfigError } from './errors.js';
import { readTextFile } from './text-file.js';

export const DEFAULT_SECTION = 'DEFAULT';

export interface IniValue {
  value: string;
  file: string;
  /** 1-based line of the key (continuation lines belong to it). */
  line: number;
}

export interface IniSection {
  name: string;
  /** Where the section header first appeared. */
  file: string;
  line: number;
  /** Keys lower-cased, in first-seen order. */
  options: Map<string, IniValue>;
}

/** Python's str.isspace() for one character. */
export function isPySpace(c: string): boolean {
  if (c.length === 0) return false;
  const cp = c.codePointAt(0) as number;
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    (cp >= 0x1c && cp <= 0x20) ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** Python's str.strip() / rstrip() / lstrip() without arguments. */
export function pyStrip(s: string): string {
  return pyRstrip(pyLstrip(s));
}
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPySpace(s[end - 1])) end--;
  return s.slice(0, end);
}
export function pyLstrip(s: string): string {
  let start = 0;
  while (start < s.length && isPySpace(s[start])) start++;
  return s.slice(start);
}

const INLINE_COMMENT_PREFIXES = [';', '#'];
const COMMENT_PREFIXES = ['#', ';'];

/** Where configparser's inline-comment search cuts the line (Python's rounds, ported), or -1. */
export function inlineCommentStart(line: string): number {
  let commentStart = Infinity;
  let prefixes = new Map<string, number>(INLINE_COMMENT_PREFIXES.map((p) => [p, -1]));
  while (commentStart === Infinity && prefixes.size > 0) {
    const next = new Map<string, number>();
    for (const [prefix, from] of prefixes) {
      const index = line.indexOf(prefix, from + 1);
      if (index === -1) continue;
      next.set(prefix, index);
      if (index === 0 || (index > 0 && isPySpace(line[index - 1]))) commentStart = Math.min(commentStart, index);
    }
    prefixes = next;
  }
  return commentStart === Infinity ? -1 : commentStart;
}

interface PendingValue {
  parts: string[];
  file: string;
  line: number;
}

/** Values read in one readText call, per target (a section's options or the defaults), in first-seen order. */
type PendingSections = Map<Map<string, IniValue>, Map<string, PendingValue>>;

/** A parsed INI document; read several files into it to merge them (supervisord's [include]). */
export class IniDocument {
  readonly sections = new Map<string, IniSection>();
  readonly defaults = new Map<string, IniValue>();
  /** Sections opened since the last takeTouched(), and whether [DEFAULT] was. */
  private touched = new Set<string>();
  private defaultsTouched = false;

  /** Parse one file's text into this document (merging). Throws ConfigError(file, line) on a bad line. */
  readText(text: string, file: string): void {
    const lines = text.split(/\r\n|\r|\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    let cursect: Map<string, PendingValue> | null = null;
    let optname: string | null = null;
    let indentLevel = 0;
    // per section target, in first-seen order (a Map: a file of thousands of sections stays linear)
    const pending: PendingSections = new Map();

    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const lineno = i + 1;
      let commentStart = inlineCommentStart(line);
      const stripped = pyStrip(line);
      if (COMMENT_PREFIXES.some((p) => stripped.startsWith(p))) commentStart = 0;
      const value = pyStrip(commentStart === -1 ? line : line.slice(0, commentStart));
      if (!value) {
        // A blank line (not a comment) inside a value is kept; trailing ones are dropped at the end.
        if (commentStart === -1 && cursect !== null && optname) cursect.get(optname)?.parts.push('');
        continue;
      }
      let curIndent = 0;
      while (curIndent < line.length && isPySpace(line[curIndent])) curIndent++;
      if (cursect !== null && optname && curIndent > indentLevel) {
        cursect.get(optname)?.parts.push(value);
        continue;
      }
      indentLevel = curIndent;
      const header = sectionHeader(value);
      if (header !== null) {
        cursect = this.openSection(header, file, lineno, pending);
        optname = null;
        continue;
      }
      if (cursect === null) {
        throw new ConfigError(file, lineno, `expected a [section] header before ${JSON.stringify(value)}`);
      }
      const option = splitOption(value);
      if (option === null) {
        throw new ConfigError(
          file,
          lineno,
          `expected "key = value", "key: value" or "[section]", got ${JSON.stringify(value)}`,
        );
      }
      if (option.key === '') throw new ConfigError(file, lineno, `missing key before '${option.delimiter}'`);
      optname = option.key.toLowerCase();
      // Last wins: a repeated key replaces the value but keeps its position (Python dict semantics).
      cursect.set(optname, { parts: [option.value], file, line: lineno });
    }

    for (const [target, values] of pending) {
      for (const [key, v] of values) {
        target.set(key, { value: pyRstrip(v.parts.join('\n')), file: v.file, line: v.line });
      }
    }
  }

  /** Section or DEFAULT for a header; values are collected per read and joined at the end (as Python). */
  private openSection(
    name: string,
    file: string,
    line: number,
    pending: PendingSections,
  ): Map<string, PendingValue> {
    let target: Map<string, IniValue>;
    if (name === DEFAULT_SECTION) {
      target = this.defaults;
      this.defaultsTouched = true;
    } else {
      this.touched.add(name);
      let section = this.sections.get(name);
      if (!section) {
        section = { name, file, line, options: new Map() };
        this.sections.set(name, section);
      }
      target = section.options;
    }
    let values = pending.get(target);
    if (!values) {
      // Existing keys stay in their place; new ones from this read are appended in order.
      values = new Map();
      pending.set(target, values);
    }
    // Keys already read in this file's earlier occurrence of the section continue to accumulate there.
    return values;
  }

  /**
   * The sections opened (given values) since the last call, or every section when [DEFAULT] was (its keys
   * show in every section): what supervisord's %(here)s expansion after an included file has to look at.
   * Looking at every section after every file was quadratic: 5,000 included files took seconds.
   */
  takeTouched(): string[] {
    const names = this.defaultsTouched ? this.sectionNames() : [...this.touched];
    this.touched.clear();
    this.defaultsTouched = false;
    return names;
  }

  hasSection(name: string): boolean {
    return this.sections.has(name);
  }

  sectionNames(): string[] {
    return [...this.sections.keys()];
  }

  /** The value of key in section, falling back to [DEFAULT]; undefined when neither has it. */
  get(section: string, key: string): IniValue | undefined {
    const k = key.toLowerCase();
    return this.sections.get(section)?.options.get(k) ?? this.defaults.get(k);
  }

  /** Keys of a section including [DEFAULT]'s (Python's `options()` / `items()` order). */
  keys(section: string): string[] {
    const own = [...(this.sections.get(section)?.options.keys() ?? [])];
    return [...own, ...[...this.defaults.keys()].filter((k) => !own.includes(k))];
  }

  /** Set a value (used for supervisord's `%(here)s` pre-expansion of included files). */
  set(section: string, key: string, value: IniValue): void {
    const s = this.sections.get(section);
    if (s) s.options.set(key.toLowerCase(), value);
  }
}

/** `\[(?P<header>.+)\]` matched at the start: from the first `[` to the last `]`, at least one character. */
function sectionHeader(value: string): string | null {
  if (!value.startsWith('[')) return null;
  const close = value.lastIndexOf(']');
  if (close < 2) return null;
  return value.slice(1, close);
}

/** `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`: key before the first delimiter, both sides trimmed. */
function splitOption(value: string): { key: string; delimiter: string; value: string } | null {
  const eq = value.indexOf('=');
  const colon = value.indexOf(':');
  const at = eq === -1 ? colon : colon === -1 ? eq : Math.min(eq, colon);
  if (at === -1) return null;
  return { key: pyRstrip(value.slice(0, at)), delimiter: value[at], value: pyStrip(value.slice(at + 1)) };
}

/** Read one INI file (UTF-8, BOM dropped) into a new document or into `into`. */
export function readIniFile(file: string, into: IniDocument = new IniDocument()): IniDocument {
  into.readText(readTextFile(file), file);
  return into;
}
