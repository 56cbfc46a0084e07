/**
 * One process type (a Procfile line, a fly.toml `[processes]` entry, a Cloud Foundry `processes:` item)
 * turned into a ProgramSpec: the foreman/overmind conventions in one place, shared by every reader of
 * "type + command" formats (procfile.ts, fly.ts, manifest.ts).
 *
 * Instance n (1-based) of the type at position typeIndex is named `type.n`, runs `/bin/sh -c command`
 * in the root, and gets PORT = base + 100 × typeIndex + (n − 1) and PS = `type.n`
 * (base: -p, else PORT from the env files, else PORT inherited, else 5000).
 */
import { UsageError, normalizeSignal } from './errors.js';
import { noHealth, type ConfigWarning, type ProcessSpec, type ProgramSpec, type RestartBackoff, type RunSpec, type SourceRef } from './model.js';
import { selects, type LoadOptions } from './options.js';

export const DEFAULT_BASE_PORT = 5000;

/** A process type name, as the Procfile grammar allows it (it becomes `name.N`, a socket and log name). */
export const PROCESS_TYPE_NAME = /^[A-Za-z0-9_-]+$/;
export const PORT_STEP_PER_TYPE = 100;

/** overmind's restart delays: 100 ms doubling to 10 s, reset after 10 s of uptime. */
export const PROCFILE_RESTART_BACKOFF: Readonly<RestartBackoff> = { initialMs: 100, maxMs: 10_000, resetAfterMs: 10_000 };

export interface ProcessTypeArgs {
  type: string;
  command: string;
  /** 0-based position of the type in its file (for PORT). */
  typeIndex: number;
  /** How many instances the config asks for (1 for a Procfile or fly.toml). */
  instances: number;
  source: SourceRef;
  opts: LoadOptions;
  /** Variables from the env files (and the config's own env table), which may set the base PORT. */
  fileEnv: Record<string, string>;
}

/** The base port: -p/--port, else PORT from the env files, else PORT inherited, else 5000. */
export function basePort(opts: LoadOptions, fileEnv: Record<string, string>): number {
  if (opts.port !== null) return checkPort(String(opts.port), '-p/--port');
  const fromFile = Object.hasOwn(fileEnv, 'PORT') ? fileEnv.PORT : undefined;
  if (fromFile !== undefined && fromFile.trim() !== '') return checkPort(fromFile, 'PORT in the env files');
  const inherited = opts.env.PORT;
  if (inherited !== undefined && inherited.trim() !== '') return checkPort(inherited, 'PORT in the environment');
  return DEFAULT_BASE_PORT;
}

function checkPort(value: string, where: string): number {
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) {
    throw new UsageError(`${where}: '${value}' is not a port number (1-65535)`);
  }
  return n;
}

/**
 * `--stop-signal web=INT,worker=QUIT` as a map type -> signal name without SIG.
 * A malformed entry or an unknown signal is a UsageError naming it.
 */
export function parseStopSignals(spec: string | null): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (spec === null || spec.trim() === '') return out;
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--stop-signal: '${part}' is not type=SIGNAL (e.g. "web=INT,worker=QUIT")`);
    const type = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    const signal = normalizeSignal(value);
    if (signal === null) throw new UsageError(`--stop-signal: unknown signal '${value}' for '${type}'`);
    out[type] = signal;
  }
  return out;
}

/** `--stop-signal` may only name types of this config (a typo would otherwise silently keep TERM). */
export function checkStopSignalTypes(spec: string | null, types: string[]): void {
  for (const type of Object.keys(parseStopSignals(spec))) {
    if (!types.includes(type)) {
      throw new UsageError(`--stop-signal: unknown process type '${type}' (known: ${types.join(', ')})`);
    }
  }
}

/** Build the ProgramSpec of one process type with `instances` instances numbered from 1. */
export function buildProcessType(args: ProcessTypeArgs): ProgramSpec {
  const { type, command, typeIndex, source, opts } = args;
  if (!Number.isSafeInteger(args.instances) || args.instances < 0) {
    throw new UsageError(`${type}: instance count ${args.instances} is not a whole number >= 0`);
  }
  const base = basePort(opts, args.fileEnv);
  const stopSignals = parseStopSignals(opts.stopSignals);
  const autoRestart = selects(opts.autoRestart, type);
  const canDie = selects(opts.canDie, type);
  const tty = selects(opts.tty, type);
  const stopsignal = Object.hasOwn(stopSignals, type) ? stopSignals[type] : 'TERM';
  const directory = opts.root ?? opts.cwd;

  const instantiate = (n: number): ProcessSpec => {
    const name = `${type}.${n}`;
    return {
      group: type,
      name,
      command,
      directory,
      user: null,
      umask: null,
      environment: { PORT: String(base + PORT_STEP_PER_TYPE * typeIndex + (n - 1)), PS: name },
      autostart: true,
      autorestart: autoRestart ? 'true' : 'false',
      exitcodes: [0],
      startsecs: 0,
      startretries: 3,
      stopwaitsecs: opts.timeout,
      priority: 999,
      stopsignal,
      stopasgroup: true,
      killasgroup: true,
      redirect_stderr: false,
      program: type,
      instance: n,
      argv: null,
      tty,
      stdoutLog: { kind: 'mux' },
      stderrLog: { kind: 'mux' },
      exitEndsRun: !canDie && !autoRestart,
      restartBackoff: autoRestart ? { ...PROCFILE_RESTART_BACKOFF } : null,
      source: { ...source },
    };
  };

  return {
    name: type,
    group: type,
    instances: Array.from({ length: args.instances }, (_, i) => instantiate(i + 1)),
    instantiate,
    firstInstance: 1,
    source: { ...source },
    health: noHealth(),
  };
}

/** The RunSpec of a Procfile-like format (Procfile, fly.toml, manifest.yml): only the processes and env vary. */
export function procfileLikeRun(args: {
  format: 'procfile' | 'fly' | 'manifest';
  file: string;
  root: string;
  programs: ProgramSpec[];
  environment: Record<string, string>;
  warnings?: ConfigWarning[];
}): RunSpec {
  return {
    format: args.format,
    file: args.file,
    root: args.root,
    programs: args.programs,
    onFatal: 'shutdown',
    socketPath: null,
    logfile: null,
    loglevel: null,
    pidfile: null,
    environment: args.environment,
    umask: null,
    warnings: args.warnings ?? [],
  };
}
