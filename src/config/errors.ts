/**
 * A configuration error a user can act on: file, line, what is wrong.
 * Printed as one line `file:line: message` and exits 2.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly detail: string,
  ) {
    // one line whatever a parser quoted into it (a value read across continuation lines, a NUL)
    super(line === null ? `${oneLine(file)}: ${oneLine(detail)}` : `${oneLine(file)}:${line}: ${oneLine(detail)}`);
  }
}

/**
 * The text with line breaks and terminal control characters written as escapes (\n, \r, \x1b, ...): an
 * error quotes what it was given (a Procfile name, an argument), which must neither break the one line
 * nor drive the terminal (colours, cursor moves, a title).
 */
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** A command-line usage error: printed as one line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Signal names procinit accepts, without SIG (Linux numbering). */
export const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11,
  USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20,
  TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29,
  PWR: 30, SYS: 31,
};

/** Normalize "TERM", "SIGTERM", "term" or "15" to "TERM"; null when unknown. */
export function normalizeSignal(value: string): string | null {
  const v = value.trim().toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
    return name ?? null;
  }
  return v in SIGNALS ? v : null;
}

/** Names for a message: the first `max`, then how many more (a 100,000-name list is no message). */
export function someNames(names: Iterable<string>, max = 20): string {
  const shown: string[] = [];
  let more = 0;
  for (const name of names) {
    if (shown.length < max) shown.push(name);
    else more++;
  }
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}
