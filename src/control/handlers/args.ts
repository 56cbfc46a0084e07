/** Checking a request's arguments: each helper names the argument and what was wrong. */
import { RequestError } from '../protocol.js';
import type { ProcessInstance } from '../../supervisor/instance.js';
import type { Supervisor } from '../../supervisor/supervisor.js';

export function stringList(args: Record<string, unknown>, key: string): string[] {
  const v = args[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new RequestError('invalid_args', `"${key}" must be an array of non-empty strings`);
  }
  return v as string[];
}

export function optionalInt(args: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RequestError('invalid_args', `"${key}" must be a whole number from ${min} to ${max}`);
  }
  return v;
}

export function optionalBool(args: Record<string, unknown>, key: string): boolean {
  const v = args[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new RequestError('invalid_args', `"${key}" must be true or false`);
  return v;
}

export function requiredString(args: Record<string, unknown>, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw new RequestError('invalid_args', `"${key}" must be a non-empty string`);
  return v;
}

/** The known process types (programs), for an error message. */
export function knownNames(supervisor: Supervisor): string {
  const programs = [...new Set(supervisor.instances.map((i) => i.spec.program))];
  return programs.length > 0 ? programs.join(', ') : 'none';
}

/** Instances matching the selectors; unknown selectors are a no_such_process error (nothing is done). */
export function selectOrThrow(supervisor: Supervisor, selectors: string[]): ProcessInstance[] {
  const { found, unknown } = supervisor.select(selectors);
  if (unknown.length > 0) {
    const list = unknown.map((u) => `'${u}'`).join(', ');
    throw new RequestError('no_such_process', `no such process ${list} (known: ${knownNames(supervisor)}; also NAME.N, group:*, all)`);
  }
  return found;
}

/** start/stop/restart/signal need at least one name: acting on everything must be said (`all`). */
export function requireSelectors(selectors: string[], cmd: string): void {
  if (selectors.length === 0) throw new RequestError('invalid_args', `${cmd}: name a process, a type, group:* or all`);
}
