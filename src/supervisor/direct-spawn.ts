/**
 * Start a program with posix_spawn (native/spawn.c) instead of child_process: Node is not forked, so a
 * launch blocks the event loop about 0.15 ms instead of 1.3-1.5 ms, most of procinit's start-up with ten
 * programs. Such a child is not libuv's: procinit's reaper collects its exit status and hands it here
 * (claim), so this is used only while the reaper runs. Whatever is unusual goes the child_process way,
 * whose behaviour and messages stay the reference: a command PATH does not find, a spawn error (missing
 * program or directory, not executable, a script without #!), a user= switch, a pseudo-terminal.
 */
import { accessSync, closeSync, constants, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';
import { inputPipePair, outputPipePair, outputPipes } from '../output/pipe.js';
import { fromWaitStatus } from './exit-info.js';
import { exitNotifier } from './exit-notifier.js';
import { LaunchError, spawnErrorText, type LaunchedChild } from './spawn.js';

function errnoName(n: number): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { errno } = (require('node:os') as typeof import('node:os')).constants;
  return Object.entries(errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;
}

interface SpawnAddon {
  spawn(file: string, argv: string[], env: string[], cwd: string, stdin: number, stdout: number, stderr: number, join?: number[] | null, umask?: number | null): number;
  /** 0, or minus errno when the exec failed after spawn returned the pid (the child then exited 127). */
  spawnFailure?(pid: number): number;
}

/** The raw wait status of exit(127): what a child the addon spawned without waiting exits with when its exec failed. */
const EXIT_127 = 127 << 8;

/** native/spawn.c: a result at or below minus this is minus (JOIN_FAILED + errno) of a failed cgroup join. */
const JOIN_FAILED = 100000;

export interface DirectPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Open cgroup.procs files the child joins before it execs (src/health/limits). */
  join?: number[] | null;
  /** The child's fd 0 instead of a new pipe (an fcgi-program's socket); the caller keeps it open. */
  stdinFd?: number | null;
  /** redirect_stderr: stdout and stderr are one pipe, so the program's writes keep their order exactly. */
  mergeStderr?: boolean;
  /** The program's umask (umask=), set in the child: procinit's own, every thread's, is never changed. */
  umask?: number | null;
}

export class DirectSpawner {
  private readonly waiting = new Map<number, (status: number) => void>();

  /** procinit's addon: loaded already when the reaper runs, which is the only time this is used. */
  private get addon(): SpawnAddon {
    return loadAddon(PROCINIT_ADDON) as SpawnAddon;
  }

  /** The started child, or null when child_process should start it instead. */
  launch({ file, args, env, cwd, join, stdinFd, mergeStderr = false, umask = null }: DirectPlan): LaunchedChild | null {
    const path = findProgram(file, env.PATH, cwd);
    if (path === null) return null;
    const pipes = mergeStderr ? mergedPipes() : outputPipes();
    if (!pipes) return null;
    const [out, err] = pipes;
    // an fcgi-program's fd 0 is its group's listening socket, which stays procinit's: only a pipe is ours to close
    const own = stdinFd === undefined || stdinFd === null;
    let stdin: [number, number];
    try {
      stdin = own ? inputPipePair()! : [stdinFd, -1];
    } catch (e) {
      new Set([...out, ...err]).forEach((fd) => closeSync(fd));
      throw e;
    }
    const envList: string[] = [];
    for (const k in env) envList.push(`${k}=${env[k]}`);
    let pid: number;
    try {
      pid =
        join?.length || umask !== null
          ? this.addon.spawn(path, [file, ...args], envList, cwd, stdin[0], out[1], err[1], join?.length ? join : null, umask)
          : this.addon.spawn(path, [file, ...args], envList, cwd, stdin[0], out[1], err[1]);
    } finally {
      // the child has its own copies of its ends; ours must go (or the output pipes never reach end-of-file)
      [own ? stdin[0] : -1, ...new Set([out[1], err[1]])].forEach((fd) => fd >= 0 && closeSync(fd));
    }
    if (pid < 0) {
      [stdin[1], ...new Set([out[0], err[0]])].forEach((fd) => fd >= 0 && closeSync(fd));
      if (pid <= -JOIN_FAILED) throw new LaunchError(`cannot enter its cgroup: ${errnoName(-pid - JOIN_FAILED)}`);
      return null;
    }
    const { finish, onExit } = exitNotifier();
    this.waiting.set(pid, (status) => {
      // native/spawn.c may return the pid before the child has exec'd (when the exec is known to work): a
      // failure that still happened is told now, as child_process tells its spawn errors, not as an exit
      const failed = status === EXIT_127 ? (this.addon.spawnFailure?.(pid) ?? 0) : 0;
      if (failed >= 0) return finish(fromWaitStatus(status, Date.now()));
      const code = errnoName(-failed);
      finish({ code: null, signal: null, error: spawnErrorText(file, cwd, Object.assign(new Error(code), { code })), at: Date.now() });
    });
    // stdin is written to only by `connect` to a pipe program: its socket (about 0.2 ms) is made then
    let input: Socket | null = null;
    let exited = false;
    onExit(() => {
      exited = true;
      // as child_process does: nobody can write to it any more
      if (input) input.destroy();
      else if (stdin[1] >= 0) closeSync(stdin[1]);
    });
    const stderr = err === out ? null : { fd: err[0] };
    const child: LaunchedChild = { pid, stdin: null, stdout: { fd: out[0] }, stderr, pty: null, reapedByProcinit: true, onExit };
    if (join?.length) child.joinedCgroups = true;
    Object.defineProperty(child, 'stdin', {
      enumerable: true,
      get(): Socket | null {
        if (!input && !exited && stdin[1] >= 0) {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          input = new (require('node:net') as typeof import('node:net')).Socket({ fd: stdin[1], readable: false, writable: true });
          input.on('error', () => {}); // EPIPE when the program closed its stdin
        }
        return input;
      },
    });
    return child;
  }

  /** A status the reaper collected: true when it was one of ours (and its exit is now told). */
  claim(pid: number, status: number): boolean {
    const done = this.waiting.get(pid);
    if (!done) return false;
    this.waiting.delete(pid);
    done(status);
    return true;
  }
}

/** One pipe serving as both stdout and stderr (redirect_stderr), or null without the addon. */
function mergedPipes(): [[number, number], [number, number]] | null {
  const pipe = outputPipePair();
  return pipe && [pipe, pipe];
}

/** execvp's search, for the common cases: the path to run, or null to leave the search to child_process. */
export function findProgram(file: string, PATH: string | undefined, cwd: string): string | null {
  if (file.includes('/')) return file;
  if (PATH === undefined || file === '') return null;
  for (const dir of PATH.split(':')) {
    const candidate = join(dir === '' ? '.' : dir, file);
    const full = resolve(cwd, candidate);
    try {
      accessSync(full, constants.X_OK);
      if (statSync(full).isFile()) return full;
    } catch {
      // not here
    }
  }
  return null;
}
