/**
 * The one normalized model every config format is parsed into.
 *
 * Field names of ProcessSpec's first block are exactly the keys of `procinit check --json`,
 * with supervisord's names and types. The second block is procinit's own and is not printed
 * by `check --json`.
 */

export type ConfigFormat = 'procfile' | 'supervisord' | 'fly' | 'manifest';

export type AutoRestart = 'true' | 'false' | 'unexpected';

/** Where one output stream of a process goes besides the multiplexed stdout and the ring buffer. */
export type LogTarget =
  | { kind: 'mux' } // procinit's multiplexed stdout (Procfile default, /dev/stdout, /dev/fd/1, /proc/1/fd/1)
  | { kind: 'stderr' } // procinit's stderr, prefixed (/dev/stderr, /dev/fd/2, /proc/1/fd/2)
  | { kind: 'none' } // NONE: only the ring buffer keeps it
  | { kind: 'file'; path: string; maxBytes: number; backups: number };

/** Restart delays for Procfile mode: exponential, reset after a long enough uptime. */
export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

/** One process instance (after numprocs / formation expansion). */
export interface ProcessSpec {
  // --- `check --json` keys (supervisord's names and types) ---
  group: string;
  name: string;
  command: string;
  directory: string | null;
  user: string | null;
  umask: number | null;
  environment: Record<string, string>;
  autostart: boolean;
  autorestart: AutoRestart;
  exitcodes: number[];
  startsecs: number;
  startretries: number;
  stopwaitsecs: number;
  priority: number;
  stopsignal: string; // without SIG, e.g. "TERM"
  stopasgroup: boolean;
  killasgroup: boolean;
  redirect_stderr: boolean;

  // --- procinit's own ---
  /** Program (supervisord) or process type (Procfile) this instance belongs to. */
  program: string;
  /** Instance number: process_num for supervisord, 1-based index for a Procfile. */
  instance: number;
  /** When set, exec this argv directly (supervisord's shell-like split); otherwise `/bin/sh -c command`. */
  argv: string[] | null;
  /** Run in a pseudo-terminal (node-pty) instead of pipes. */
  tty: boolean;
  stdoutLog: LogTarget;
  stderrLog: LogTarget;
  /** Procfile run-level policy: an exit of this process ends the whole run. */
  exitEndsRun: boolean;
  /** Procfile-mode restart delays; null = supervisord semantics (immediate restart, BACKOFF 1,2,3 s on start failures). */
  restartBackoff: RestartBackoff | null;
  /** Where in the config this process was defined (for messages). */
  source: SourceRef;
}

/** A program (supervisord `[program:x]`, a Procfile type): its instances and how to make more. */
export interface ProgramSpec {
  name: string;
  group: string;
  /** Instances as configured now (numprocs or formation). */
  instances: ProcessSpec[];
  /** Make instance number n (for `procinit scale`): same rules as the parser used. Pure. */
  instantiate(n: number): ProcessSpec;
  /** First instance number (supervisord numprocs_start; 1 for Procfiles). */
  firstInstance: number;
  source: SourceRef;
}

export interface SourceRef {
  file: string;
  line: number;
}

/** Settings for the whole run, from the config and the command line. */
export interface RunSpec {
  format: ConfigFormat;
  file: string;
  /** Working directory processes start in unless they set their own. */
  root: string;
  programs: ProgramSpec[];
  /** FATAL of any program ends the run (`[procinit] on_fatal`). */
  onFatal: 'shutdown' | 'keep';
  /** Control socket path from the config (`[procinit] socket`), or null for the default rules. */
  socketPath: string | null;
  /** Where procinit's own log goes (`[supervisord] logfile`); null = stdout. */
  logfile: string | null;
  loglevel: string | null;
  pidfile: string | null;
  /** Environment every process gets on top of the inherited one (.env, -e, [supervisord] environment). */
  environment: Record<string, string>;
  umask: number | null;
  /** Non-fatal things the user should hear about (unsupported sections, ignored keys). */
  warnings: ConfigWarning[];
}

export interface ConfigWarning {
  file: string;
  line: number;
  message: string;
}

/** All instances of a run, in start order (priority, then config order). */
export function allProcesses(run: RunSpec): ProcessSpec[] {
  return run.programs.flatMap((p) => p.instances);
}
