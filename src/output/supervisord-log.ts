/**
 * procinit's own log in supervisord's format (supervisor/loggers.py), for supervisord configs:
 *   2026-12-06 17:00:00,123 INFO spawned: 'web' with pid 12
 * local time, milliseconds after a comma, supervisord's level names (CRIT ERRO WARN INFO DEBG TRAC BLAT),
 * filtered by `[supervisord] loglevel`, written to stdout (supervisord in the foreground does the same) and
 * to `[supervisord] logfile` when there is one.
 */
import type { Logger } from './log.js';

/** supervisord's LevelsByName. */
export const SUPERVISORD_LEVELS: Record<string, number> = { critical: 50, error: 40, warn: 30, info: 20, debug: 10, trace: 5, blather: 3 };
const LEVEL_NAMES: Record<number, string> = { 50: 'CRIT', 40: 'ERRO', 30: 'WARN', 20: 'INFO', 10: 'DEBG', 5: 'TRAC', 3: 'BLAT' };

export interface SupervisordLogger extends Logger {
  debug(msg: string): void;
  trace(msg: string): void;
  critical(msg: string): void;
  blather(msg: string): void;
  /** Whether a message of this level (supervisord's name: debug, info …) is written. */
  enabled(level: string): boolean;
  /** supervisord's restart makes its logger again from the config read again: a new level and stdout (silent). */
  reconfigure(opts: Pick<SupervisordLogOptions, 'level' | 'stdout'>): void;
}

/** supervisord's asctime: `2026-12-06 17:00:00,123`, local time. */
export function supervisordTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

export interface SupervisordLogOptions {
  /** `[supervisord] loglevel` (default info). */
  level: string | null;
  /** stdout (the hub's writer), or null for `[supervisord] silent = true`. */
  stdout: { raw(buf: Buffer): void } | null;
  /** `[supervisord] logfile`, or null. */
  file: { write(buf: Buffer): void } | null;
  /** The clock (tests). */
  now?: () => number;
}

export function createSupervisordLogger(opts: SupervisordLogOptions): SupervisordLogger {
  const thresholdOf = (level: string | null): number => SUPERVISORD_LEVELS[level ?? 'info'] ?? SUPERVISORD_LEVELS.info;
  let threshold = thresholdOf(opts.level);
  let stdout = opts.stdout;
  const now = opts.now ?? Date.now;
  const at =
    (level: number) =>
    (msg: string): void => {
      if (level < threshold) return;
      const buf = Buffer.from(`${supervisordTime(now())} ${LEVEL_NAMES[level]} ${msg}\n`);
      stdout?.raw(buf);
      opts.file?.write(buf);
    };
  return {
    critical: at(50),
    error: at(40),
    warn: at(30),
    info: at(20),
    debug: at(10),
    trace: at(5),
    blather: at(3),
    enabled: (level) => (SUPERVISORD_LEVELS[level] ?? 20) >= threshold,
    reconfigure: (next) => {
      threshold = thresholdOf(next.level);
      stdout = next.stdout;
    },
  };
}

/**
 * supervisord's echo of a program's output into the main log at loglevel debug (dispatchers.py `_log`):
 * `'web' stdout output:` and the bytes as read, decoded as UTF-8 (`Undecodable: b'…'` when they are not).
 */
export function outputEchoLine(name: string, stream: string, chunk: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(chunk);
  } catch {
    text = `Undecodable: ${pyBytesRepr(chunk)}`;
  }
  return `'${name}' ${stream} output:\n${text}`;
}

const BYTE_ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

/** Python's repr() of bytes: b'\x88\n', double quotes when there is a ' and no ". */
export function pyBytesRepr(chunk: Buffer): string {
  const quote = chunk.includes(0x27) && !chunk.includes(0x22) ? '"' : "'";
  let out = '';
  for (const b of chunk) {
    if (BYTE_ESCAPES[b] !== undefined) out += BYTE_ESCAPES[b];
    else if (b === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `b${quote}${out}${quote}`;
}
