/**
 * `.env` files, in the syntax of the `dotenv` npm package (and foreman's .env):
 *
 *   KEY=value              unquoted: trimmed; ` #...` (a # after whitespace) starts a comment, `a#b` does not
 *   export KEY=value       `export ` is ignored
 *   KEY = value            spaces around `=` are allowed
 *   KEY=                   empty value
 *   KEY='literal $x \n'    single quotes (and backticks): taken literally, may span lines
 *   KEY="a\nb \"q\""       double quotes: \n \r \t \" \\ are escapes (others kept as written), may span lines
 *   # comment              blank lines and # comment lines are skipped
 *
 * Unlike dotenv, which silently skips what it does not understand, any other line (no `=`, a bad name,
 * an unterminated quote, text after a closing quote) is a ConfigError naming file and line.
 * No variable expansion (neither dotenv nor foreman does it). A later definition of a key wins.
 */
import { ConfigError } from './errors.js';
import { readTextFile, stripBom } from './text-file.js';

/** dotenv's key syntax: letters, digits, `_`, `.` and `-`. */
const KEY = /^[A-Za-z0-9_.-]+$/;
const QUOTES = new Set(['"', "'", '`']);
const QUOTE_NAMES: Record<string, string> = { '"': 'double-quoted', "'": 'single-quoted', '`': 'backtick-quoted' };
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

export function readDotenvFile(file: string): Record<string, string> {
  return parseDotenv(readTextFile(file), file);
}

export function parseDotenv(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  const lines = stripBom(text).replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i];
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;

    const assignment = trimmed.replace(/^export[ \t]+/, '');
    const eq = assignment.indexOf('=');
    if (eq < 0) {
      const hint = /^[A-Za-z0-9_.-]+$/.test(assignment) ? ` (no '=' after '${assignment}')` : '';
      throw new ConfigError(file, lineNo, `expected KEY=value${hint}`);
    }
    const key = assignment.slice(0, eq).trim();
    if (key === '') throw new ConfigError(file, lineNo, "missing variable name before '='");
    if (!KEY.test(key)) {
      throw new ConfigError(file, lineNo, `invalid variable name '${key}' (letters, digits, '_', '.' and '-' only)`);
    }

    // The value starts right after '=' on the original line (leading spaces matter for ` #` comments).
    const rest = line.slice(line.indexOf('=') + 1);
    const start = rest.trimStart();
    const quote = start[0];
    if (quote !== undefined && QUOTES.has(quote)) {
      const quoted = readQuoted(lines, i, start, quote, key, file);
      env[key] = quoted.value;
      i = quoted.lastLine;
    } else {
      env[key] = unquoted(rest);
    }
  }
  return env;
}

/** An unquoted value: up to a `#` that follows whitespace (so `KEY=#fff` keeps its #), trimmed. */
function unquoted(rest: string): string {
  const comment = rest.search(/[ \t]#/);
  return (comment < 0 ? rest : rest.slice(0, comment)).trim();
}

/**
 * A quoted value starting at `start` (the text after `=`, beginning with the quote) on line index `first`;
 * it may continue on the following lines until the closing quote. Each line is scanned once (a long file
 * with an unclosed quote near the top is refused in linear time): a backslash at the end of a line escapes
 * the line break itself, so every line's scan starts afresh.
 */
function readQuoted(
  lines: string[],
  first: number,
  start: string,
  quote: string,
  key: string,
  file: string,
): { value: string; lastLine: number } {
  const parts: string[] = [];
  let segment = start.slice(1);
  let index = first;
  for (;;) {
    const close = findClosingQuote(segment, quote);
    if (close >= 0) {
      const after = segment.slice(close + 1);
      if (!/^[ \t]*(#.*)?$/.test(after)) {
        throw new ConfigError(
          file,
          index + 1,
          `unexpected text after the closing quote of ${key}: '${after.trim()}'`,
        );
      }
      parts.push(segment.slice(0, close));
      const body = parts.join('\n');
      return { value: quote === '"' ? unescapeDouble(body) : body, lastLine: index };
    }
    parts.push(segment);
    index++;
    if (index >= lines.length) {
      throw new ConfigError(file, first + 1, `unterminated ${QUOTE_NAMES[quote]} value for ${key} (no closing ${quote})`);
    }
    segment = lines[index];
  }
}

/** Index of the closing quote in `text`, or -1; in double quotes a backslash escapes the next character. */
function findClosingQuote(text: string, quote: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c === quote) return i;
  }
  return -1;
}

function unescapeDouble(body: string): string {
  return body.replace(/\\([\s\S])/g, (whole, c: string) => ESCAPES[c] ?? whole);
}
