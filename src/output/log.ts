/**
 * procinit's own log, through pino: JSON lines with --log-format json, or a short readable line
 * (`procinit | web.1 exited with code 1`) otherwise. Written in-process through the same single
 * writer as the programs' output (no worker-thread transports: they cannot work inside a SEA).
 */
import pino, { type Logger } from 'pino';
import type { OutputHub } from './hub.js';

export type LogFormat = 'text' | 'json';
export type { Logger };

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export interface LogSink {
  /** A formatted pino JSON line. */
  write(line: string): void;
}

/** A pino destination that renders each JSON line as readable text. */
export function textSink(emit: (line: string, level: number) => void): LogSink {
  return {
    write(line: string) {
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        emit(line.trimEnd(), 30);
        return;
      }
      const level = typeof obj.level === 'number' ? obj.level : 30;
      const tag = level >= 40 ? `${LEVEL_NAMES[level] ?? 'warn'}: ` : '';
      emit(`${tag}${String(obj.msg ?? '')}`, level);
    },
  };
}

/** supervisord's log levels in pino's words. */
export function pinoLevel(level: string | null | undefined): string {
  const map: Record<string, string> = { critical: 'fatal', error: 'error', warn: 'warn', info: 'info', debug: 'debug', trace: 'trace', blather: 'trace' };
  return (level && map[level.toLowerCase()]) || 'info';
}

export function createLogger(opts: { format: LogFormat; level?: string; hub: OutputHub; file?: { write(buf: Buffer): void } | null }): Logger {
  const toStdout: LogSink =
    opts.format === 'json'
      ? { write: (line) => opts.hub.raw(Buffer.from(line.endsWith('\n') ? line : line + '\n')) }
      : textSink((line, level) => opts.hub.system(line, level >= 50 ? 'stderr' : 'stdout'));
  const file = opts.file;
  // [supervisord] logfile: like supervisord in the foreground, log to the file and to stdout
  const toFile: LogSink | null = file
    ? textSink((line, level) => file.write(Buffer.from(`${new Date().toISOString()} ${(LEVEL_NAMES[level] ?? 'info').toUpperCase()} ${line}\n`)))
    : null;
  const sink: LogSink = toFile ? { write: (line) => (toStdout.write(line), toFile.write(line)) } : toStdout;
  return pino({ level: opts.level ?? 'info', base: { name: 'procinit' }, timestamp: pino.stdTimeFunctions.isoTime }, sink);
}

/** A logger that writes nowhere (unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
