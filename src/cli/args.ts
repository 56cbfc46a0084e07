/**
 * Command-line options for running (`procinit [up] [TYPE...]`, `check`, `export`): parsed once with
 * node's util.parseArgs (strict), normalized into LoadOptions + RunOptions, every default in one place.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../config/errors.js';
import { parsePlain } from './parse-plain.js';
import type { RpcHooks } from './rpc-hooks.js';
import { defaultLoadOptions, type LoadOptions } from '../config/options.js';
import type { OutputFormat } from '../output/format.js';
import type { LogFormat } from '../output/log.js';
import type { RunSpec } from '../config/model.js';

export const LOAD_OPTIONS = {
  procfile: { type: 'string', short: 'f' },
  config: { type: 'string', short: 'c' },
  root: { type: 'string', short: 'd' },
  env: { type: 'string', short: 'e', multiple: true },
  port: { type: 'string', short: 'p' },
  formation: { type: 'string', short: 'm' },
  'auto-restart': { type: 'string', short: 'r' },
  'can-die': { type: 'string' },
  timeout: { type: 'string', short: 't' },
  'stop-signal': { type: 'string' },
  tty: { type: 'string' },
  app: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const RUN_OPTIONS = {
  ...LOAD_OPTIONS,
  timestamps: { type: 'boolean' },
  output: { type: 'string' },
  'log-format': { type: 'string' },
  socket: { type: 'string', short: 's' },
  prefix: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  limits: { type: 'string' },
  'stop-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface RunOptions {
  load: LoadOptions;
  timestamps: boolean;
  output: OutputFormat;
  logFormat: LogFormat;
  socket: string | null;
  color: boolean | null;
  /** supervisord personality: what its command line says about the XML-RPC side (-i identifier). */
  rpc?: RpcHooks;
  /** How memory/cpu limits are enforced: cgroups where procinit can make them, else RSS sampling (auto); or always rss. */
  limits: 'auto' | 'rss';
  /** Seconds the container's stop gives (docker stop -t, stop_grace_period): a longer grace gets a warning at start. */
  stopTimeout: number;
  /** --prefix: prefix a supervisord config's /dev/stdout output with program names (it passes through raw). */
  prefix: boolean;
  /** A live procinit on the default control socket is a warning, not an error (supervisord personality: its socket is the config's). */
  controlSocketOptional?: boolean;
  /** Applied to every config read again (reload, restart): the supervisord personality's command-line overrides. */
  adjustRun?: (run: RunSpec) => void;
}

/** util.parseArgs (or, for a plain command line, parsePlain's same answer), its errors as one-line usage errors. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = true) {
  const plain = parsePlain(args, options, allowPositionals);
  if (plain) return plain as ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>>;
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(msg);
  }
}

export function nameList(value: string | undefined): string[] | 'all' {
  if (value === undefined) return [];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  return names.includes('all') ? 'all' : names;
}

function seconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === '') throw new UsageError(`${flag}: expected a number of seconds, got '${value}'`);
  return n;
}

function port(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port: expected a port number 1-65535, got '${value}'`);
  return n;
}

function oneOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag}: expected ${allowed.join(' or ')}, got '${value}'`);
  return value as T;
}

type Values = Record<string, string | boolean | string[] | undefined>;

export function toLoadOptions(values: Values, positionals: string[], env = process.env, cwd = process.cwd()): LoadOptions {
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const only = positionals.length > 0 ? positionals : (env.PROCINIT_PROCESSES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return defaultLoadOptions({
    procfile: str('procfile') ?? null,
    config: str('config') ?? null,
    root: str('root') ?? null,
    envFiles: (values.env as string[] | undefined) ?? [],
    port: port(str('port')),
    formation: str('formation') ?? null,
    only,
    autoRestart: nameList(str('auto-restart')),
    canDie: nameList(str('can-die')),
    stopSignals: str('stop-signal') ?? null,
    timeout: seconds(str('timeout'), '--timeout', 5),
    tty: nameList(str('tty') ?? env.PROCINIT_TTY),
    app: str('app') ?? null,
    env,
    cwd,
  });
}

export function toRunOptions(values: Values, positionals: string[], env = process.env): RunOptions {
  return {
    load: toLoadOptions(values, positionals, env),
    timestamps: values.timestamps === true,
    output: oneOf(values.output as string | undefined, '--output', ['text', 'json'] as const, 'text'),
    logFormat: oneOf(values['log-format'] as string | undefined, '--log-format', ['text', 'json'] as const, 'text'),
    socket: (values.socket as string | undefined) ?? null,
    color: values['no-color'] === true ? false : null,
    limits: oneOf((values.limits as string | undefined) ?? env.PROCINIT_LIMITS, '--limits', ['auto', 'rss'] as const, 'auto'),
    stopTimeout: seconds((values['stop-timeout'] as string | undefined) ?? env.PROCINIT_STOP_TIMEOUT, '--stop-timeout', 10),
    prefix: values.prefix === true,
  };
}
