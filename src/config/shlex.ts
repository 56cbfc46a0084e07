/**
 * Python's `shlex` lexer (CPython 3.11 `Lib/shlex.py`), ported for the two ways supervisord uses it:
 *
 * - `shlexSplit(command)`: `shlex.split(s)` (POSIX mode, whitespace_split, no comments): how supervisord turns
 *   `command=` into argv. Quotes `'...'` and `"..."`; a backslash escapes any character outside quotes and only
 *   `"` and `\` inside double quotes (elsewhere it stays); no variable, glob or tilde expansion; newlines from
 *   continuation lines are plain whitespace, and `\` + newline keeps the newline.
 * - `shlexTokens(text, { posix: false, ... })`: the classic (non-POSIX) lexer that supervisord's
 *   `dict_of_key_value_pairs` runs over `environment=`: words of [A-Za-z0-9_] plus extra word characters, quoted
 *   strings kept with their quotes, every other character a token of its own, `#` starting a comment.
 *
 * Only the features supervisord reaches are ported (no punctuation_chars, no `source` inclusion).
 * Characters are code points, as in Python.
 */

export class ShlexError extends Error {
  override readonly name = 'ShlexError';
}

export interface ShlexOptions {
  posix: boolean;
  /** Characters added to the default word characters (`lexer.wordchars += ...`). */
  extraWordChars?: string;
  /** Comment characters (default `#`; shlex.split uses none). */
  commenters?: string;
  whitespaceSplit?: boolean;
}

const ASCII_WORDCHARS = 'abcdfeghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
const POSIX_EXTRA_WORDCHARS = 'ßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ';
const WHITESPACE = ' \t\r\n';
const QUOTES = '\'"';
const ESCAPE = '\\';
const ESCAPED_QUOTES = '"';

/** Python's `c in s` for one character c (never true for the empty string here: EOF is checked first). */
function isIn(c: string, set: string): boolean {
  return c !== '' && set.includes(c);
}

class Lexer {
  private readonly chars: string[];
  private pos = 0;
  private readonly posix: boolean;
  private readonly wordchars: string;
  private readonly commenters: string;
  private readonly whitespaceSplit: boolean;
  private state: string | null = ' ';
  private token = '';
  /** Pushed-back tokens (shlex.pushback), popped before reading more input. */
  private readonly pushback: string[] = [];

  constructor(text: string, opts: ShlexOptions) {
    this.chars = Array.from(text);
    this.posix = opts.posix;
    this.wordchars = ASCII_WORDCHARS + (opts.posix ? POSIX_EXTRA_WORDCHARS : '') + (opts.extraWordChars ?? '');
    this.commenters = opts.commenters ?? '#';
    this.whitespaceSplit = opts.whitespaceSplit ?? false;
  }

  /** All tokens until EOF (`list(lexer)`). */
  tokens(): string[] {
    const out: string[] = [];
    for (;;) {
      const tok = this.getToken();
      // EOF is None in POSIX mode, '' otherwise.
      if (tok === null || (!this.posix && tok === '')) return out;
      out.push(tok);
    }
  }

  private read(): string {
    return this.pos < this.chars.length ? this.chars[this.pos++] : '';
  }

  /** instream.readline(): consume through the next newline. */
  private readline(): void {
    while (this.pos < this.chars.length) {
      if (this.chars[this.pos++] === '\n') return;
    }
  }

  private getToken(): string | null {
    if (this.pushback.length > 0) return this.pushback.shift() as string;
    return this.readToken();
  }

  private readToken(): string | null {
    let quoted = false;
    let escapedstate = ' ';
    for (;;) {
      const nextchar = this.read();
      const state = this.state;
      if (state === null) {
        this.token = '';
        break;
      } else if (state === ' ') {
        if (!nextchar) {
          this.state = null;
          break;
        } else if (isIn(nextchar, WHITESPACE)) {
          if (this.token || (this.posix && quoted)) break;
          continue;
        } else if (isIn(nextchar, this.commenters)) {
          this.readline();
        } else if (this.posix && isIn(nextchar, ESCAPE)) {
          escapedstate = 'a';
          this.state = nextchar;
        } else if (isIn(nextchar, this.wordchars)) {
          this.token = nextchar;
          this.state = 'a';
        } else if (isIn(nextchar, QUOTES)) {
          if (!this.posix) this.token = nextchar;
          this.state = nextchar;
        } else if (this.whitespaceSplit) {
          this.token = nextchar;
          this.state = 'a';
        } else {
          this.token = nextchar;
          if (this.token || (this.posix && quoted)) break;
          continue;
        }
      } else if (isIn(state, QUOTES)) {
        quoted = true;
        if (!nextchar) throw new ShlexError('No closing quotation');
        if (nextchar === state) {
          if (!this.posix) {
            this.token += nextchar;
            this.state = ' ';
            break;
          }
          this.state = 'a';
        } else if (this.posix && isIn(nextchar, ESCAPE) && isIn(state, ESCAPED_QUOTES)) {
          escapedstate = state;
          this.state = nextchar;
        } else {
          this.token += nextchar;
        }
      } else if (isIn(state, ESCAPE)) {
        if (!nextchar) throw new ShlexError('No escaped character');
        // In POSIX shells, only the quote itself or the escape character may be escaped within quotes.
        if (isIn(escapedstate, QUOTES) && nextchar !== state && nextchar !== escapedstate) {
          this.token += state;
        }
        this.token += nextchar;
        this.state = escapedstate;
      } else if (state === 'a') {
        if (!nextchar) {
          this.state = null;
          break;
        } else if (isIn(nextchar, WHITESPACE)) {
          this.state = ' ';
          if (this.token || (this.posix && quoted)) break;
          continue;
        } else if (isIn(nextchar, this.commenters)) {
          this.readline();
          if (this.posix) {
            this.state = ' ';
            if (this.token || (this.posix && quoted)) break;
            continue;
          }
        } else if (this.posix && isIn(nextchar, QUOTES)) {
          this.state = nextchar;
        } else if (this.posix && isIn(nextchar, ESCAPE)) {
          escapedstate = 'a';
          this.state = nextchar;
        } else if (isIn(nextchar, this.wordchars) || isIn(nextchar, QUOTES) || this.whitespaceSplit) {
          this.token += nextchar;
        } else {
          this.pushback.unshift(nextchar);
          this.state = ' ';
          if (this.token || (this.posix && quoted)) break;
          continue;
        }
      }
    }
    const result = this.token;
    this.token = '';
    if (this.posix && !quoted && result === '') return null;
    return result;
  }
}

/** `shlex.split(s)`: POSIX mode, split on whitespace only, no comments. Throws ShlexError like Python's ValueError. */
export function shlexSplit(s: string): string[] {
  return new Lexer(s, { posix: true, whitespaceSplit: true, commenters: '' }).tokens();
}

/** `list(shlex.shlex(s, posix=...))` with the given word characters and comment characters. */
export function shlexTokens(s: string, opts: ShlexOptions): string[] {
  return new Lexer(s, opts).tokens();
}
