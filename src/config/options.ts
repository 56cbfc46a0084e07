/**
 * What the command line (and environment) says about how to read a config.
 * Normalized once in cli/, consumed by every config loader.
 */
import type { ConfigFormat } from './model.js';

export interface LoadOptions {
  /** -f/--procfile, or $PROCINIT_PROCFILE. */
  procfile: string | null;
  /** -c/--config, or $PROCINIT_CONFIG. */
  config: string | null;
  /** -d/--root: working directory (default: the config file's folder). */
  root: string | null;
  /** -e/--env FILE (repeatable), loaded over .env. */
  envFiles: string[];
  /** -p/--port base port. */
  port: number | null;
  /** -m/--formation as given, e.g. "web=2,worker=0" or "all=2". */
  formation: string | null;
  /** `procinit up TYPE...` or $PROCINIT_PROCESSES: run only these types/programs (empty = all). */
  only: string[];
  /** -r/--auto-restart NAMES|all. */
  autoRestart: string[] | 'all';
  /** --can-die NAMES|all. */
  canDie: string[] | 'all';
  /** --stop-signal web=INT,worker=QUIT as given. */
  stopSignals: string | null;
  /** -t/--timeout seconds (grace before SIGKILL) for Procfile processes. */
  timeout: number;
  /** --tty NAMES|all or $PROCINIT_TTY. */
  tty: string[] | 'all';
  /** --app NAME for a Cloud Foundry manifest. */
  app: string | null;
  /** The environment procinit was started with (inherited by every process). */
  env: Record<string, string | undefined>;
  /** The directory procinit was started in. */
  cwd: string;
  /**
   * The file (and its format) the run was started with: set for reload, which reads exactly that file
   * again and never searches (a Procfile gone must not switch the run to /etc/supervisor/supervisord.conf).
   */
  pinned?: { file: string; format: ConfigFormat } | null;
}

export function defaultLoadOptions(overrides: Partial<LoadOptions> = {}): LoadOptions {
  return {
    procfile: null,
    config: null,
    root: null,
    envFiles: [],
    port: null,
    formation: null,
    only: [],
    autoRestart: [],
    canDie: [],
    stopSignals: null,
    timeout: 5,
    tty: [],
    app: null,
    env: process.env,
    cwd: process.cwd(),
    ...overrides,
  };
}

/** Does a NAMES|all list select this program/type name? */
export function selects(list: string[] | 'all', name: string): boolean {
  return list === 'all' || list.includes(name);
}

/** The options a reload reads with: the same as at start, pinned to the file (and format) the run started with. */
export function pinnedTo(opts: LoadOptions, run: { file: string; format: ConfigFormat }): LoadOptions {
  return { ...opts, pinned: { file: run.file, format: run.format } };
}
