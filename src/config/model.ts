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
  /** An [eventlistener:x] process: its stdout and stdin speak supervisord's eventlistener protocol. */
  eventListener?: EventListenerSpec;
  /** supervisord's *_events_enabled and *_capture_maxbytes (PROCESS_LOG / PROCESS_COMMUNICATION events). */
  outputEvents?: OutputEventOptions;
  /** An [fcgi-program:x] process: the group's listening socket is its fd 0. */
  fcgiSocket?: FcgiSocketSpec;
}

/** [fcgi-program:x] socket=, socket_owner, socket_mode, socket_backlog (supervisord's socket config). */
export type FcgiSocketSpec =
  | { kind: 'unix'; path: string; owner: { user: string; group: string | null } | null; mode: number; backlog: number | null; group: string }
  | { kind: 'tcp'; host: string; port: number; backlog: number | null; group: string };

/** The pool an [eventlistener:x] makes (supervisord's EventListenerPoolConfig). */
export interface EventListenerSpec {
  /** The pool's name (the section's name after the colon). */
  pool: string;
  /** events=: supervisord's event type names, upper case, each once. */
  events: string[];
  /** buffer_size (default 10): events kept while no listener is ready; the oldest is dropped beyond it. */
  bufferSize: number;
}

export interface OutputEventOptions {
  stdout: { eventsEnabled: boolean; captureMaxBytes: number };
  stderr: { eventsEnabled: boolean; captureMaxBytes: number };
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
  /** Checks, readiness notification, start order, resource limits and autoscaling (see HealthSpec). */
  health: HealthSpec;
}

// --- Health, start order and resources (issue 15): one model for every format -------------------------
//
// Read from the CF manifest (memory, health-check-*, readiness-health-check-*, timeout), fly.toml
// ([checks], [[services.*_checks]], [[http_service.checks]], [[vm]]) and procinit.toml beside any config.
// Times are milliseconds, memory bytes, cpu in cores (0.5 = half a core). Printed as-is by `check --json`
// (under `programs[].health`). Readers fill it; src/health/ runs it; src/export/ writes it out.

export type ProbeKind = 'http' | 'tcp' | 'exec';

/** One probe with Kubernetes semantics (defaults are Kubernetes' own). */
export interface ProbeSpec {
  kind: ProbeKind;
  /** http: 'http' or 'https' (certificates are not verified, as kubelet does not). */
  scheme: 'http' | 'https';
  /** http/tcp: the address connected to; default 127.0.0.1. */
  host: string;
  /** http: the path GET asks for (with its query); default '/'. */
  path: string;
  /** http/tcp: the port; null = the instance's $PORT. */
  port: number | null;
  /** http: extra request headers. */
  headers: Record<string, string>;
  /** exec: argv run in the program's environment and directory (a string command is `/bin/sh -c`). */
  command: string[] | null;
  /** Wait this long after the process starts before the first probe (k8s initialDelaySeconds, 0). */
  initialDelayMs: number;
  /** Time between probes (k8s periodSeconds, 10 s). */
  periodMs: number;
  /** One probe fails when it takes longer (k8s timeoutSeconds, 1 s). */
  timeoutMs: number;
  /** Consecutive successes to count as passing after a failure (1; liveness and startup must be 1). */
  successThreshold: number;
  /** Consecutive failures to count as failed (3). */
  failureThreshold: number;
  /** Where the probe was configured. */
  source: SourceRef;
}

export interface ChecksSpec {
  /** Failing liveness restarts the instance. */
  liveness: ProbeSpec | null;
  /** Passing readiness sets the instance's READY flag (no probe: ready once started). */
  readiness: ProbeSpec | null;
  /** Until startup passes, liveness and readiness wait; failing it restarts the instance. */
  startup: ProbeSpec | null;
}

/**
 * Readiness announced by the program itself: systemd's sd_notify (NOTIFY_SOCKET; READY=1, STATUS=,
 * WATCHDOG=1 with WATCHDOG_USEC when watchdogMs is set) or s6's notification-fd (ready at the first newline
 * written to that fd).
 */
export type NotifySpec =
  | { kind: 'sd_notify'; watchdogMs: number | null; source: SourceRef }
  | { kind: 'fd'; fd: number; source: SourceRef };

/** compose's conditions: service_started, service_healthy (= ready), service_completed_successfully. */
export type DependencyCondition = 'started' | 'ready' | 'completed_successfully';

export interface DependencySpec {
  /** Name of the program (process type) depended on; checked to exist and to form no cycle. */
  program: string;
  condition: DependencyCondition;
  source: SourceRef;
}

export interface LimitsSpec {
  /** Memory limit per instance in bytes (CF `memory: 64M`, fly [[vm]] memory), or null. */
  memoryBytes: number | null;
  /** CPU per instance in cores (fly cpus, procinit.toml `cpu = 0.5` or "500m"), or null. */
  cpu: number | null;
  source: SourceRef | null;
}

/** Drycc's autoscale:set / a HorizontalPodAutoscaler: only exports use it. */
export interface AutoscaleSpec {
  min: number;
  max: number;
  cpuPercent: number;
  source: SourceRef;
}

export interface HealthSpec {
  checks: ChecksSpec;
  notify: NotifySpec | null;
  /** Start after these (compose depends_on); stop before them. */
  dependsOn: DependencySpec[];
  limits: LimitsSpec;
  autoscale: AutoscaleSpec | null;
}

/** A program with no checks, no notification, no dependencies, no limits. */
export function noHealth(): HealthSpec {
  return {
    checks: { liveness: null, readiness: null, startup: null },
    notify: null,
    dependsOn: [],
    limits: { memoryBytes: null, cpu: null, source: null },
    autoscale: null,
  };
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
  /** When every process has ended by itself (nothing will restart): end the run (default), or keep running as supervisord does (`[procinit] on_idle = keep`). */
  onIdle?: 'shutdown' | 'keep';
  /** Control socket path from the config (`[procinit] socket`), or null for the default rules. */
  socketPath: string | null;
  /** Where procinit's own log goes (`[supervisord] logfile`); null = stdout. */
  logfile: string | null;
  loglevel: string | null;
  pidfile: string | null;
  /** Environment every process gets on top of the inherited one (.env, -e, [supervisord] environment). */
  environment: Record<string, string>;
  umask: number | null;
  /** [supervisord] identifier (default `supervisor`): the `server:` of event listeners' header lines. */
  identifier?: string;
  /**
   * supervisord's behaviour (a supervisord.conf): output to /dev/stdout and /dev/stderr passes through raw,
   * procinit's own log uses supervisord's format and wording, SIGHUP restarts, SIGUSR2 reopens the logs.
   * Unset for the other formats (foreman's prefixed lines).
   */
  supervisordMode?: {
    /** `[procinit] prefix = true`: prefix each line with its program's name instead of passing it through raw. */
    prefix: boolean;
    /** `[supervisord] user`: procinit drops its privileges to this user before anything else (or refuses to start). */
    user: string | null;
    /** `[supervisord] silent`: procinit's own log goes to the logfile only, not to stdout. */
    silent: boolean;
    /** `[supervisord] logfile_maxbytes` / `logfile_backups`: rotation of procinit's own log file. */
    logfileMaxBytes: number;
    logfileBackups: number;
    /** `[supervisord] nocleanup`: keep old AUTO child log files (otherwise removed at start, as supervisord). */
    nocleanup: boolean;
    /** `[supervisord] childlogdir` and `identifier`: where AUTO child logs live and how they are named. */
    childlogdir: string;
    identifier: string;
    /** `[supervisord] strip_ansi`: ANSI escapes removed from the programs' output (every sink). */
    stripAnsi?: boolean;
  };
  /** What reading the config is worth saying at INFO (supervisord's `Included extra file "…" during parsing`). */
  notes?: ConfigWarning[];
  /** Non-fatal things the user should hear about (unsupported sections, ignored keys). */
  warnings: ConfigWarning[];
  /** supervisord's XML-RPC servers ([unix_http_server], [inet_http_server]) and identity; absent for other formats. */
  rpc?: RpcSpec;
  /** [supervisord] nodaemon (supervisord daemonizes without it or -n; procinit never does). */
  nodaemon?: boolean;
}

/** One HTTP server supervisord would serve XML-RPC on. */
export type HttpServerSpec =
  | { kind: 'unix'; section: string; file: string; chmod: number; chown: string | null; username: string | null; password: string | null; source: SourceRef }
  | { kind: 'inet'; section: string; host: string; port: number; username: string | null; password: string | null; source: SourceRef };

export interface RpcSpec {
  /** In the order supervisord reads them: every [inet_http_server*], then every [unix_http_server*]. */
  servers: HttpServerSpec[];
  /** [supervisord] identifier (supervisor.getIdentification). */
  identifier: string;
  /** What programs get as SUPERVISOR_SERVER_URL: the first unix socket, else the first inet server; null when none. */
  serverurl: string | null;
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
