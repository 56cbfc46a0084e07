/**
 * supervisord's name for an AUTO child log (options.get_autochildlog_name): tempfile's
 * `NAME-CHANNEL---IDENTIFIER-XXXXXXXX.log` in childlogdir, eight random characters of [a-z0-9_].
 * The random part is drawn once per process and channel for the life of this procinit, so that reading the
 * config again (reload, restart) names the same file and does not count as a change.
 */
import { posix } from 'node:path';

const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_';
const chosen = new Map<string, string>();

export function autoLogName(childlogdir: string, name: string, channel: 'stdout' | 'stderr', identifier: string): string {
  const key = [childlogdir, name, channel, identifier].join('\0');
  let path = chosen.get(key);
  if (path === undefined) {
    // node:crypto only here, when a name is drawn: loading it costs every start ~3 ms (16 builtin modules)
    const { randomInt } = require('node:crypto') as typeof import('node:crypto');
    const random = Array.from({ length: 8 }, () => CHARS[randomInt(CHARS.length)]).join('');
    path = posix.join(childlogdir, `${name}-${channel}---${identifier}-${random}.log`);
    chosen.set(key, path);
  }
  return path;
}

/** supervisord's clear_autochildlogdir pattern: old AUTO logs of this identifier (and their backups). */
export function isAutoLogName(file: string, identifier: string): boolean {
  const esc = identifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^.+?---${esc}-\\S+\\.log\\.?\\d{0,4}`).test(file);
}

/** The names drawn so far (the config worker thread gets them, and hands back the ones it drew). */
export function drawnAutoLogNames(): Array<[string, string]> {
  return [...chosen];
}

/** Keep names drawn elsewhere (the config worker thread's). */
export function keepAutoLogNames(names: Iterable<[string, string]>): void {
  for (const [key, path] of names) if (!chosen.has(key)) chosen.set(key, path);
}
