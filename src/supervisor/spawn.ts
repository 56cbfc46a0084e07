/**
 * Start one process: through pipes (child_process, own session so its whole tree is one process group)
 * or in a pseudo-terminal (node-pty). The only place that creates processes.
 */
import { closeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { ProcessSpec, RunSpec } from '../config/model.js';
import type { ExitInfo } from './exit-info.js';
import { resolveUser, supplementaryGroups } from './user.js';
import { execAsCommand } from './exec-as.js';
import { loadPty, type PtyProcess, boundWriteRetries } from './pty.js';
import { NativeLoadError } from '../pid1/native.js';
import { outputPipePair, outputPipes, type OutputPipe } from '../output/pipe.js';
import { exitNotifier } from './exit-notifier.js';
import type { DirectSpawner } from './direct-spawn.js';
import { commandLine, plainArgv, shellPwd } from './command-line.js';

export interface LaunchedChild {
  pid: number;
  /** s6's notification-fd: the read side of the fd the program writes its readiness newline to. */
  notifyPipe?: Readable | null;
  stdin: Writable | null;
  stdout: OutputPipe | null;
  stderr: OutputPipe | null;
  /** Set when the process runs in a pseudo-terminal. */
  pty: PtyProcess | null;
  /** Set when procinit's reaper, not libuv or node-pty, collects the exit status (direct-spawn.ts). */
  reapedByProcinit?: true;
  /** Set when the child joined its cgroups before it exec'd (ChildPlacement). */
  joinedCgroups?: true;
  /** Called once when the process has ended; every registered callback is kept. */
  onExit(cb: (info: ExitInfo) => void): void;
}

export interface Launcher {
  /** Start the process. Throws LaunchError when it cannot even be attempted. */
  launch(spec: ProcessSpec): LaunchedChild;
}

/** What to run, where, with which environment and ids: decided once, by either launch path. */
interface LaunchPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  ids: { uid: number; gid: number } | undefined;
  /** The words of a Procfile line without shell syntax: run without the shell when possible (plainArgv). */
  plain: string[] | null;
  /** cgroup.procs files the child joins before exec (posix_spawn's path only). */
  join: number[] | null;
  /** An fd to give the child as its stdin instead of a pipe (an fcgi-program's socket); stays the caller's. */
  stdinFd: number | null;
  /** s6 notification-fd to open in the program (child_process only: posix_spawn here passes 0-2). */
  notifyFd: number | null;
  /** redirect_stderr: one pipe for stdout and stderr, so the order of the program's writes is kept exactly. */
  mergeStderr: boolean;
  /** umask= (the program's, else [supervisord]'s): set in the child by the addon's spawn; child_process and
   * node-pty have no such hook, so for them only, procinit's umask is set around the (synchronous) spawn. */
  umask: number | null;
}

/** What a child gets as its fd 0 when not a pipe (src/fcgi: an [fcgi-program:x]'s listening socket). */
export interface StdinSource {
  /** The fd for this process, or null for the usual pipe. Throws LaunchError when it cannot be had. */
  fdFor(spec: ProcessSpec): number | null;
}

/**
 * Where a child goes before it runs (src/health/limits: its cgroup). The launcher asks before each spawn;
 * a child started by posix_spawn's path joins the cgroups itself before exec (joinFds), one started any
 * other way (child_process, node-pty) is moved in at once after the spawn (started(pid, false)).
 */
export interface ChildPlacement {
  prepare(spec: ProcessSpec): PlacementTicket | null;
}

export interface PlacementTicket {
  /** Open `cgroup.procs` files the child writes itself into before it execs. */
  joinFds: number[];
  /** The child is running: joined says whether it joined before exec. */
  started(pid: number, joined: boolean): void;
  /** Close joinFds (always called, after the spawn or its failure). */
  release(): void;
}

export class LaunchError extends Error {
  override readonly name = 'LaunchError';
}

/** The environment a process gets: inherited, then the run's, then its own, then supervisord's markers. */
export function processEnv(run: RunSpec, spec: ProcessSpec, inherited: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  // (no `delete` afterwards: that turns the object into a slow dictionary for the rest of the launch)
  for (const k in inherited) {
    const v = inherited[k];
    if (v !== undefined && k !== 'PROCINIT_SOCKET_FD') env[k] = v;
  }
  Object.assign(env, run.environment);
  // supervisord's order (process.py spawn): its markers over the inherited environment, the program's own last
  if (run.format === 'supervisord') {
    env.SUPERVISOR_ENABLED = '1';
    if (run.rpc?.serverurl) env.SUPERVISOR_SERVER_URL = run.rpc.serverurl;
    env.SUPERVISOR_PROCESS_NAME = spec.name;
    env.SUPERVISOR_GROUP_NAME = spec.group;
  }
  Object.assign(env, spec.environment);
  return env;
}

function signalName(sig: NodeJS.Signals | null): string | null {
  return sig ? sig.replace(/^SIG/, '') : null;
}

/**
 * What src/health/ adds to a launch: variables (NOTIFY_SOCKET, WATCHDOG_USEC) and s6's notification-fd
 * (a pipe at that fd in the program, read by procinit).
 */
export interface LaunchExtras {
  env: Record<string, string>;
  notifyFd: number | null;
}

export class ProcessLauncher implements Launcher {
  /** The inherited environment as a plain object, copied at the first launch (see launch). */
  private inheritedCopy: Record<string, string | undefined> | null = null;
  private direct: DirectSpawner | null = null;
  private placement: ChildPlacement | null = null;
  private stdinSource: StdinSource | null = null;
  private extras: ((spec: ProcessSpec) => LaunchExtras | null) | null = null;

  /** Ask fn for each launch's extra variables and notification fd. */
  setExtras(fn: (spec: ProcessSpec) => LaunchExtras | null): void {
    this.extras = fn;
  }

  constructor(
    private readonly run: RunSpec,
    private readonly inherited: Record<string, string | undefined> = process.env,
    private readonly terminalSize: () => { cols: number; rows: number } = () => ({ cols: 80, rows: 24 }),
    /** Said once per program when it cannot have the terminal it asked for and runs on pipes instead. */
    private readonly warn: (msg: string) => void = () => {},
  ) {}

  private readonly noTerminal = new Set<string>();

  /** node-pty, or null (said once per program) when it cannot load: the program then runs on pipes. */
  private terminalFor(spec: ProcessSpec): ReturnType<typeof loadPty> | null {
    try {
      return loadPty();
    } catch (err) {
      if (!(err instanceof NativeLoadError)) throw err;
      if (!this.noTerminal.has(spec.program)) {
        this.noTerminal.add(spec.program);
        this.warn(`${spec.name}: no terminal, running it on pipes: ${err.message}`);
      }
      return null;
    }
  }

  /** Start pipe programs with posix_spawn from now on (only while procinit's reaper runs: it reaps them). */
  spawnDirectly(direct: DirectSpawner): void {
    this.direct = direct;
  }

  /** Ask this for a child's fd 0 before it is spawned (fcgi-program sockets). */
  stdinFrom(source: StdinSource): void {
    this.stdinSource = source;
  }

  /** Ask this where each child goes (cgroups for resource limits) before it is spawned. */
  placeChildren(placement: ChildPlacement): void {
    this.placement = placement;
  }

  launch(spec: ProcessSpec): LaunchedChild {
    const ticket = this.placement?.prepare(spec) ?? null;
    try {
      const child = this.launchPlaced(spec, ticket);
      if (ticket && child.pid > 0) ticket.started(child.pid, child.joinedCgroups === true);
      return child;
    } finally {
      ticket?.release();
    }
  }

  private launchPlaced(spec: ProcessSpec, ticket: PlacementTicket | null): LaunchedChild {
    const pty = spec.tty ? this.terminalFor(spec) : null;
    if (spec.tty && !pty) spec = { ...spec, tty: false };
    // Reading process.env goes through a C++ interceptor for every variable (about 0.2 ms per copy with 35
    // variables, every launch). procinit's own environment is settled before the first program starts
    // (up.ts sets PROCINIT_SOCKET before), so one plain copy serves every launch.
    this.inheritedCopy ??= { ...this.inherited };
    const env = processEnv(this.run, spec, this.inheritedCopy);
    const extras = this.extras?.(spec) ?? null;
    if (extras) Object.assign(env, extras.env);
    const cwd = spec.directory ?? this.run.root;
    let { file, args } = commandLine(spec);
    let ids: { uid: number; gid: number } | undefined;
    if (spec.user !== null) {
      const u = resolveUser(spec.user);
      const myUid = process.getuid?.() ?? 0;
      if (myUid !== 0 && myUid !== u.uid) throw new LaunchError(`cannot run as user '${spec.user}': procinit is not root`);
      const groups = supplementaryGroups(u.name, u.gid);
      if (myUid === 0 && groups.length > 1 && !spec.tty) ({ file, args } = execAsCommand({ uid: u.uid, gid: u.gid, groups }, file, args));
      else if (myUid === 0) ids = { uid: u.uid, gid: u.gid };
      env.HOME ??= u.home;
      env.USER = u.name;
      env.LOGNAME = u.name;
    }
    const umask = spec.umask ?? this.run.umask;
    const plain = !spec.argv?.length && spec.user === null && !spec.tty ? plainArgv(spec.command) : null;
    const stdinFd = this.stdinSource?.fdFor(spec) ?? null;
    const plan: LaunchPlan = { file, args, env, cwd, ids, plain, join: ticket?.joinFds ?? null, stdinFd, notifyFd: spec.tty ? null : (extras?.notifyFd ?? null), mergeStderr: spec.redirect_stderr, umask };
    return pty ? this.launchPty(spec, plan, pty) : this.launchPipes(plan);
  }

  private launchPipes(plan: LaunchPlan): LaunchedChild {
    const direct = this.direct && !plan.ids && plan.notifyFd === null ? this.launchDirect(this.direct, plan) : null;
    if (direct) return direct;
    const { file, args, env, cwd, ids, stdinFd, notifyFd, mergeStderr } = plan;
    const pipes = mergeStderr ? outputPipePair() : outputPipes();
    const [out, err] = pipes === null ? [null, null] : mergeStderr ? [pipes as [number, number], null] : (pipes as [[number, number], [number, number]]);
    const ours = (end: 0 | 1): number[] => [out?.[end], err?.[end]].filter((fd): fd is number => fd !== undefined);
    let child;
    try {
      // child_process is loaded only when a program needs it (user=, PATH misses, no addon): about 1 ms
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { spawn: spawnChild } = require('node:child_process') as typeof import('node:child_process');
      // redirect_stderr: the one pipe procinit made is the child's fd 2 too
      const stderrEnd = mergeStderr ? (out?.[1] ?? 'pipe') : (err?.[1] ?? 'pipe');
      const stdio: Array<'pipe' | 'ignore' | number> = [stdinFd ?? 'pipe', out?.[1] ?? 'pipe', stderrEnd];
      if (notifyFd !== null) {
        while (stdio.length < notifyFd) stdio.push('ignore');
        stdio[notifyFd] = 'pipe';
      }
      child = underUmask(plan.umask, () => spawnChild(file, args, { cwd, env, detached: true, stdio, ...ids }));
    } catch (e) {
      ours(0).forEach((fd) => closeSync(fd));
      throw e;
    } finally {
      // the child has its copies of the write ends: ours must go, or the pipes never reach end-of-file
      ours(1).forEach((fd) => closeSync(fd));
    }
    const { finish, onExit } = exitNotifier();
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined && err.code !== 'ENOENT' && err.code !== 'EACCES') return; // kill() errors etc.
      finish({ code: null, signal: null, error: spawnErrorText(file, cwd, err), at: Date.now() });
    });
    child.once('exit', (code, sig) => finish({ code, signal: signalName(sig), error: null, at: Date.now() }));
    child.stdin?.on('error', () => {}); // EPIPE when the program closed its stdin
    return {
      pid: child.pid ?? -1,
      stdin: child.stdin,
      stdout: out ? { fd: out[0] } : child.stdout && { readable: child.stdout },
      // one pipe for both when procinit made it; without the addon child_process's two pipes are both read
      stderr: mergeStderr && out ? null : err ? { fd: err[0] } : child.stderr && { readable: child.stderr },
      pty: null,
      notifyPipe: notifyFd !== null ? ((child.stdio[notifyFd] as Readable | null) ?? null) : null,
      onExit,
    };
  }

  /**
   * posix_spawn: a line without shell syntax as its own words, as foreman does (the shell would only exec
   * it, after a millisecond of its own start-up), else through the shell. A program PATH does not find, or
   * that cannot be exec'd (a script without #!), goes the shell's way, so what it does and says is the shell's.
   */
  private launchDirect(direct: DirectSpawner, { file, args, env, cwd, plain, join, stdinFd, mergeStderr, umask }: LaunchPlan): LaunchedChild | null {
    if (plain) {
      env.PWD = shellPwd(env.PWD, cwd);
      const started = direct.launch({ file: plain[0], args: plain.slice(1), env, cwd, join, stdinFd, mergeStderr, umask });
      if (started) return started;
    }
    return direct.launch({ file, args, env, cwd, join, stdinFd, mergeStderr, umask });
  }

  private launchPty(spec: ProcessSpec, { file, args, env, cwd, ids, umask }: LaunchPlan, pty: ReturnType<typeof loadPty>): LaunchedChild {
    const { cols, rows } = this.terminalSize();
    let p: PtyProcess;
    try {
      p = underUmask(umask, () => pty.spawn(file, args, { name: env.TERM ?? 'xterm-256color', cols, rows, cwd, env, encoding: null, ...ids }));
    } catch (err) {
      throw new LaunchError(`${spec.name}: cannot start in a terminal: ${(err as Error).message}`);
    }
    boundWriteRetries(p); // no write(2) on every turn of the loop while the program does not read
    const { finish, onExit } = exitNotifier();
    p.onExit(({ exitCode, signal }) => {
      const sigName = signal ? (Object.entries(osSignals()).find(([, n]) => n === signal)?.[0] ?? null) : null;
      finish({ code: sigName ? null : exitCode, signal: sigName ? sigName.replace(/^SIG/, '') : null, error: null, at: Date.now() });
    });
    return {
      pid: p.pid,
      stdin: null,
      stdout: null,
      stderr: null,
      pty: p,
      onExit,
    };
  }
}

function osSignals(): Record<string, number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:os') as typeof import('node:os')).constants.signals as unknown as Record<string, number>;
}

export function spawnErrorText(file: string, cwd: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') {
    return file.includes('/') || cwd === '' ? `cannot run '${file}': no such file (or working directory ${cwd} missing)` : `cannot run '${file}': command not found (or working directory ${cwd} missing)`;
  }
  if (err.code === 'EACCES') return `cannot run '${file}': not executable (permission denied)`;
  return `cannot run '${file}': ${err.message}`;
}

/**
 * child_process and node-pty fork without a hook for the child: the umask is procinit's for the length of
 * the synchronous fork (every thread's meanwhile). The addon's spawn sets it in the child instead.
 */
function underUmask<T>(umask: number | null, spawn: () => T): T {
  const previous = umask !== null ? process.umask(umask) : null;
  try {
    return spawn();
  } finally {
    if (previous !== null) process.umask(previous);
  }
}
