/**
 * procinit's own log: a short readable line (`procinit | web.1 exited with code 1`) by default, or
 * pino's JSON lines with --log-format json. Written in-process through the same single writer as the
 * programs' output (no worker-thread transports: they cannot work inside a SEA).
 *
 * The readable format never needed pino (it used to render pino's JSON back into text), so pino is
 * required only for --log-format json: a plain run does not pay pino's module initialisation (about
 * 5 ms, node:assert and a stderr stream among it) before its programs start.
 */
import type { OutputHub } from './hub.js';

export type LogFormat = 'text' | 'json';

/** What procinit logs through: one message string per call. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** supervisord's debug level (loglevel=debug): event listener protocol traces, kill signals and the like. */
  debug?(msg: string): void;
}

/** pino's numeric levels; 'silent' logs nothing. */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

interface LogSink {
  /** A formatted pino JSON line. */
  write(line: string): void;
}

/** supervisord's log levels in pino's words. */
export function pinoLevel(level: string | null | undefined): string {
  const map: Record<string, string> = { critical: 'fatal', error: 'error', warn: 'warn', info: 'info', debug: 'debug', trace: 'trace', blather: 'trace' };
  return (level && map[level.toLowerCase()]) || 'info';
}

/** `warn: ` / `error: ` in front of a message of that level; nothing for info and below. */
function textLine(msg: string, level: number): string {
  return `${level >= 40 ? `${LEVEL_NAMES[level] ?? 'warn'}: ` : ''}${msg}`;
}

export function createLogger(opts: { format: LogFormat; level?: string; hub: OutputHub; file?: { write(buf: Buffer): void } | null }): Logger {
  const file = opts.file ?? null;
  // [supervisord] logfile: like supervisord in the foreground, log to the file and to stdout
  const toFile = file
    ? (msg: string, level: number): void =>
        file.write(Buffer.from(`${new Date().toISOString()} ${(LEVEL_NAMES[level] ?? 'info').toUpperCase()} ${textLine(msg, level)}\n`))
    : null;
  if (opts.format === 'json') return jsonLogger(opts.level ?? 'info', opts.hub, toFile);
  const threshold = LEVELS[opts.level ?? 'info'] ?? LEVELS.info;
  const at =
    (level: number) =>
    (msg: string): void => {
      if (level < threshold) return;
      opts.hub.system(textLine(msg, level), level >= 50 ? 'stderr' : 'stdout');
      toFile?.(msg, level);
    };
  return { info: at(30), warn: at(40), error: at(50), debug: at(20) };
}

/** --log-format json: pino's own lines, unchanged ({"level":30,"time":"…","name":"procinit","msg":"…"}). */
function jsonLogger(level: string, hub: OutputHub, toFile: ((msg: string, level: number) => void) | null): Logger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pino = require('pino') as typeof import('pino');
  const sink: LogSink = {
    write(line) {
      hub.raw(Buffer.from(line.endsWith('\n') ? line : line + '\n'));
      if (!toFile) return;
      const obj = JSON.parse(line) as { level?: unknown; msg?: unknown };
      toFile(String(obj.msg ?? ''), typeof obj.level === 'number' ? obj.level : 30);
    },
  };
  const logger = pino({ level, base: { name: 'procinit' }, timestamp: pino.stdTimeFunctions.isoTime }, sink);
  return { info: (msg) => logger.info(msg), warn: (msg) => logger.warn(msg), error: (msg) => logger.error(msg), debug: (msg) => logger.debug(msg) };
}

/** A logger that writes nowhere (unit tests). */
export function silentLogger(): Logger {
  return { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
}
