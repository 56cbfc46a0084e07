/**
 * The `supervisor.*` namespace of supervisord's XML-RPC interface (API 3.0), method for method as
 * supervisor/rpcinterface.py answers, over procinit's supervisor: the same instance operations the NDJSON
 * control handlers use (start, stop, sendSignal, select, the service's reload).
 */
import { truncate } from 'node:fs/promises';
import { normalizeSignal } from '../config/errors.js';
import type { ProcessInstance } from '../supervisor/instance.js';
import type { ProcessState } from '../supervisor/states.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { RpcFault } from './faults.js';
import { readLogFile, tailLogFile } from './log-files.js';
import { lexical, lookup } from './names.js';
import { processInfo, RUNNING_STATES, SIGNALLABLE_STATES, STOPPED_STATES } from './process-info.js';
import type { GroupChanges } from './groups.js';

export const API_VERSION = '3.0';
/** What getSupervisorVersion answers: the supervisord release whose interface procinit serves. */
export const SUPERVISOR_VERSION = '4.2.5';

export interface RpcContext {
  supervisor: Supervisor;
  /** [supervisord] identifier, or -i/--identifier. */
  identifier: string;
  /** procinit's own log file ([supervisord] logfile), null when it logs to stdout only. */
  mainLog(): string | null;
  groups: GroupChanges;
  /** Stop everything, read the config again, start again (supervisord's restart). */
  restart(): Promise<void>;
  /** Hand a REMOTE_COMMUNICATION event to the event listeners (none: dropped). */
  remoteCommEvent(type: string, data: string): void;
  /** Tell PID 1 to stop everything. */
  shutdown(): void;
  /** supervisord's mood RESTARTING: a restart is under way (every method but getState answers SHUTDOWN_STATE). */
  restarting: boolean;
}

export type Method = (ctx: RpcContext, params: unknown[]) => unknown;

export interface MethodEntry {
  fn: Method;
  /** Parameter types after the return type, as methodSignature answers: [return, ...params]. */
  signature: string[];
  /** How many trailing parameters are optional. */
  optional?: number;
  help: string;
}

function update(ctx: RpcContext): void {
  if (ctx.supervisor.stopping || ctx.restarting) throw new RpcFault('SHUTDOWN_STATE');
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw new RpcFault('INCORRECT_PARAMETERS');
  return v;
}

function int(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  throw new RpcFault('INCORRECT_PARAMETERS');
}

function bool(v: unknown): boolean {
  if (v === undefined) return true;
  return Boolean(v);
}

/** Resolves with the first state the instance reaches that `done` accepts. */
function waitForState(supervisor: Supervisor, inst: ProcessInstance, done: (s: ProcessState) => boolean): Promise<ProcessState> {
  return new Promise((resolve) => {
    if (done(inst.state)) return resolve(inst.state);
    const onState = (i: ProcessInstance, _from: ProcessState, to: ProcessState): void => {
      if (i !== inst || !done(to)) return;
      off();
      resolve(to);
    };
    const onShutdown = (): void => {
      off();
      resolve(inst.state);
    };
    const off = (): void => {
      supervisor.off('state', onState);
      supervisor.off('shutdown', onShutdown);
    };
    supervisor.on('state', onState);
    supervisor.on('shutdown', onShutdown);
  });
}

function spawnFailed(inst: ProcessInstance): boolean {
  return (inst.state === 'BACKOFF' || inst.state === 'FATAL') && inst.lastExit?.error != null;
}

async function startOne(ctx: RpcContext, inst: ProcessInstance, name: string, wait: boolean): Promise<true> {
  if (RUNNING_STATES.has(inst.state)) throw new RpcFault('ALREADY_STARTED', name);
  if (inst.state === 'STOPPING') await inst.stop();
  update(ctx);
  inst.start();
  if (spawnFailed(inst)) throw new RpcFault('SPAWN_ERROR', name);
  if (!wait || inst.state === 'RUNNING') return true;
  const s = await waitForState(ctx.supervisor, inst, (st) => st !== 'STARTING');
  // supervisord sets spawnerr ('Exited too quickly') when a start fails: SPAWN_ERROR, not ABNORMAL_TERMINATION
  if (s === 'BACKOFF' || s === 'FATAL') throw new RpcFault('SPAWN_ERROR', name);
  if (s !== 'RUNNING') throw new RpcFault('ABNORMAL_TERMINATION', name);
  return true;
}

async function stopOne(inst: ProcessInstance, name: string, wait: boolean): Promise<true> {
  if (!RUNNING_STATES.has(inst.state)) throw new RpcFault('NOT_RUNNING', name);
  const stopped = inst.stop();
  if (wait && !STOPPED_STATES.has(inst.state)) await stopped;
  return true;
}

function signalOne(inst: ProcessInstance, name: string, signal: unknown): true {
  const sig = normalizeSignal(String(signal));
  if (sig === null) throw new RpcFault('BAD_SIGNAL', String(signal));
  if (!SIGNALLABLE_STATES.has(inst.state)) throw new RpcFault('NOT_RUNNING', name);
  // the pid only, whatever stopasgroup says: supervisord's Subprocess.signal kills self.pid
  if (!inst.sendSignal(sig, false)) throw new RpcFault('NOT_RUNNING', name);
  return true;
}

interface StatusStruct {
  name: string;
  group: string;
  status: number;
  description: string;
}

/** make_allfunc: act on each process the predicate selects, in parallel, and report each. */
async function forEach(
  procs: ProcessInstance[],
  predicate: (i: ProcessInstance) => boolean,
  act: (i: ProcessInstance, name: string) => Promise<unknown> | unknown,
): Promise<StatusStruct[]> {
  const chosen = procs.filter(predicate);
  return Promise.all(
    chosen.map(async (inst) => {
      const base = { name: inst.spec.name, group: inst.spec.group };
      const spec = inst.spec.group === inst.spec.name ? inst.spec.name : `${inst.spec.group}:${inst.spec.name}`;
      try {
        await act(inst, spec);
        return { ...base, status: 80, description: 'OK' };
      } catch (err) {
        if (err instanceof RpcFault) return { ...base, status: err.code, description: err.text };
        throw err;
      }
    }),
  );
}

const isRunning = (i: ProcessInstance): boolean => RUNNING_STATES.has(i.state);
const isSignallable = (i: ProcessInstance): boolean => SIGNALLABLE_STATES.has(i.state);

function groupOf(ctx: RpcContext, name: unknown): ProcessInstance[] {
  const g = str(name);
  const members = ctx.supervisor.instances.filter((i) => i.spec.group === g);
  if (members.length === 0) throw new RpcFault('BAD_NAME', g);
  return members;
}

function logTarget(inst: ProcessInstance, channel: 'stdout' | 'stderr'): string | null {
  const t = channel === 'stdout' ? inst.spec.stdoutLog : inst.spec.stderrLog;
  if (channel === 'stderr' && inst.spec.redirect_stderr) return null;
  return t.kind === 'file' ? t.path : null;
}

function processLog(ctx: RpcContext, name: unknown, channel: 'stdout' | 'stderr'): string | null {
  const { process } = lookup(ctx.supervisor, name);
  if (!process) throw new RpcFault('BAD_NAME', String(name));
  return logTarget(process, channel);
}

async function clearLogsOf(inst: ProcessInstance): Promise<void> {
  for (const channel of ['stdout', 'stderr'] as const) {
    const path = logTarget(inst, channel);
    if (!path) continue;
    try {
      await truncate(path, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new RpcFault('FAILED', inst.spec.name);
    }
  }
}

const S = 'string';
const I = 'int';
const B = 'boolean';
const A = 'array';
const T = 'struct';

export function supervisorMethods(): Map<string, MethodEntry> {
  const m = new Map<string, MethodEntry>();
  const def = (name: string, signature: string[], help: string, fn: Method, optional = 0): void => {
    m.set(`supervisor.${name}`, { fn, signature, help, optional });
  };
  const version = (ctx: RpcContext): string => {
    update(ctx);
    return API_VERSION;
  };
  def('getAPIVersion', [S], 'Return the version of the RPC API used by supervisord', version);
  def('getVersion', [S], 'Return the version of the RPC API used by supervisord', version);
  def('getSupervisorVersion', [S], 'Return the version of the supervisor package in use by supervisord', (ctx) => {
    update(ctx);
    return SUPERVISOR_VERSION;
  });
  def('getIdentification', [S], 'Return identifying string of supervisord', (ctx) => {
    update(ctx);
    return ctx.identifier;
  });
  def('getState', [T], 'Return current state of supervisord as a struct', (ctx) => {
    if (ctx.supervisor.stopping) return { statecode: -1, statename: 'SHUTDOWN' };
    if (ctx.restarting) return { statecode: 0, statename: 'RESTARTING' };
    return { statecode: 1, statename: 'RUNNING' };
  });
  def('getPID', [I], 'Return the PID of supervisord', (ctx) => {
    update(ctx);
    return process.pid;
  });
  const readMain = async (ctx: RpcContext, p: unknown[]): Promise<string> => {
    update(ctx);
    return readLogFile(ctx.mainLog(), int(p[0]), int(p[1]));
  };
  def('readLog', [S, I, I], 'Read length bytes from the main log starting at offset', readMain);
  def('readMainLog', [S, I, I], 'Read length bytes from the main log starting at offset', readMain);
  def('clearLog', [B], 'Clear the main log.', async (ctx) => {
    update(ctx);
    const path = ctx.mainLog();
    if (!path) throw new RpcFault('NO_FILE');
    try {
      await truncate(path, 0);
    } catch (err) {
      throw new RpcFault((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NO_FILE' : 'FAILED');
    }
    return true;
  });
  def('shutdown', [B], 'Shut down the supervisor process', (ctx) => {
    update(ctx);
    ctx.shutdown();
    return true;
  });
  def('restart', [B], 'Restart the supervisor process', (ctx) => {
    update(ctx);
    ctx.restarting = true;
    void ctx.restart().finally(() => (ctx.restarting = false));
    return true;
  });
  def('reloadConfig', [A], 'Reload the configuration.', async (ctx) => {
    update(ctx);
    const { added, changed, removed } = await ctx.groups.reread();
    return [[added, changed, removed]];
  });
  def('addProcessGroup', [B, S], 'Update the config for a running process from config file.', (ctx, p) => {
    update(ctx);
    ctx.groups.add(str(p[0]));
    return true;
  });
  def('removeProcessGroup', [B, S], 'Remove a stopped process from the active configuration.', (ctx, p) => {
    update(ctx);
    ctx.groups.remove(str(p[0]));
    return true;
  });

  const startProcess: Method = async (ctx, p) => {
    update(ctx);
    const name = str(p[0]);
    const wait = bool(p[1]);
    const { members, process } = lookup(ctx.supervisor, name);
    if (!process) return forEach(members, (i) => !isRunning(i), (i, n) => startOne(ctx, i, n, wait));
    return startOne(ctx, process, name, wait);
  };
  def('startProcess', [B, S, B], 'Start a process', startProcess, 1);
  def('startProcessGroup', [A, S, B], "Start all processes in the group named 'name'", (ctx, p) => {
    update(ctx);
    const wait = bool(p[1]);
    return forEach(groupOf(ctx, p[0]), (i) => !isRunning(i), (i, n) => startOne(ctx, i, n, wait));
  }, 1);
  def('startAllProcesses', [A, B], 'Start all processes listed in the configuration file', (ctx, p) => {
    update(ctx);
    const wait = bool(p[0]);
    return forEach(ctx.supervisor.instances, (i) => !isRunning(i), (i, n) => startOne(ctx, i, n, wait));
  }, 1);

  def('stopProcess', [B, S, B], 'Stop a process named by name', async (ctx, p) => {
    update(ctx);
    const name = str(p[0]);
    const wait = bool(p[1]);
    const { members, process } = lookup(ctx.supervisor, name);
    if (!process) return forEach(members, isRunning, (i, n) => stopOne(i, n, wait));
    return stopOne(process, name, wait);
  }, 1);
  def('stopProcessGroup', [A, S, B], "Stop all processes in the process group named 'name'", (ctx, p) => {
    update(ctx);
    const wait = bool(p[1]);
    return forEach(groupOf(ctx, p[0]), isRunning, (i, n) => stopOne(i, n, wait));
  }, 1);
  def('stopAllProcesses', [A, B], 'Stop all processes in the process list', (ctx, p) => {
    update(ctx);
    const wait = bool(p[0]);
    return forEach(ctx.supervisor.instances, isRunning, (i, n) => stopOne(i, n, wait));
  }, 1);

  def('signalProcess', [B, S, S], 'Send an arbitrary UNIX signal to the process named by name', (ctx, p) => {
    update(ctx);
    const name = str(p[0]);
    const { members, process } = lookup(ctx.supervisor, name);
    if (!process) return forEach(members, isSignallable, (i, n) => signalOne(i, n, p[1]));
    return signalOne(process, name, p[1]);
  });
  def('signalProcessGroup', [A, S, S], "Send a signal to all processes in the group named 'name'", (ctx, p) => {
    update(ctx);
    return forEach(groupOf(ctx, p[0]), isSignallable, (i, n) => signalOne(i, n, p[1]));
  });
  def('signalAllProcesses', [A, S], 'Send a signal to all processes in the process list', (ctx, p) => {
    update(ctx);
    return forEach(ctx.supervisor.instances, isSignallable, (i, n) => signalOne(i, n, p[0]));
  });

  def('getAllConfigInfo', [A], 'Get info about all available process configurations.', (ctx) => {
    update(ctx);
    return ctx.groups.configInfo();
  });
  def('getProcessInfo', [T, S], 'Get info about a process named name', (ctx, p) => {
    update(ctx);
    const { process } = lookup(ctx.supervisor, p[0]);
    if (!process) throw new RpcFault('BAD_NAME', String(p[0]));
    return processInfo(process);
  });
  def('getAllProcessInfo', [A], 'Get info about all processes', (ctx) => {
    update(ctx);
    const now = Date.now();
    return lexical(ctx.supervisor.instances).map((i) => processInfo(i, now));
  });

  // readProcess{Stdout,Stderr}Log, tailProcess{Stdout,Stderr}Log: (name, offset, length) on one channel's log file
  const logMethod =
    (read: typeof readLogFile | typeof tailLogFile, channel: 'stdout' | 'stderr'): Method =>
    async (ctx, p) => {
      update(ctx);
      return read(processLog(ctx, p[0], channel), int(p[1]), int(p[2]));
    };
  const readOut = logMethod(readLogFile, 'stdout');
  def('readProcessStdoutLog', [S, S, I, I], "Read length bytes from name's stdout log starting at offset", readOut);
  def('readProcessLog', [S, S, I, I], "Read length bytes from name's stdout log starting at offset", readOut);
  def('readProcessStderrLog', [S, S, I, I], "Read length bytes from name's stderr log starting at offset", logMethod(readLogFile, 'stderr'));
  const tailOut = logMethod(tailLogFile, 'stdout');
  def('tailProcessStdoutLog', [A, S, I, I], "Tail the (stdout) log: [string bytes, int offset, bool overflow]", tailOut);
  def('tailProcessLog', [A, S, I, I], "Tail the (stdout) log: [string bytes, int offset, bool overflow]", tailOut);
  def('tailProcessStderrLog', [A, S, I, I], "Tail the (stderr) log: [string bytes, int offset, bool overflow]", logMethod(tailLogFile, 'stderr'));
  const clearProcess: Method = async (ctx, p) => {
    update(ctx);
    const { process } = lookup(ctx.supervisor, p[0]);
    if (!process) throw new RpcFault('BAD_NAME', String(p[0]));
    await clearLogsOf(process);
    return true;
  };
  def('clearProcessLogs', [B, S], 'Clear the stdout and stderr logs for the named process and reopen them.', clearProcess);
  def('clearProcessLog', [B, S], 'Clear the stdout and stderr logs for the named process and reopen them.', clearProcess);
  def('clearAllProcessLogs', [A], 'Clear all process log files', (ctx) => {
    update(ctx);
    return forEach(ctx.supervisor.instances, () => true, (i) => clearLogsOf(i));
  });
  def('sendProcessStdin', [B, S, S], 'Send a string of chars to the stdin of the process name.', (ctx, p) => {
    update(ctx);
    if (typeof p[1] !== 'string' && !Buffer.isBuffer(p[1])) throw new RpcFault('INCORRECT_PARAMETERS', String(p[1]));
    const name = str(p[0]);
    const { process } = lookup(ctx.supervisor, name);
    if (!process) throw new RpcFault('BAD_NAME', name);
    const child = process.child;
    if (!process.pid || process.state === 'STOPPING' || !child) throw new RpcFault('NOT_RUNNING', name);
    const data = Buffer.isBuffer(p[1]) ? p[1] : Buffer.from(p[1], 'utf8');
    if (child.pty) {
      child.pty.write(data.toString('utf8'));
      return true;
    }
    const stdin = child.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) throw new RpcFault('NO_FILE', name);
    stdin.on('error', () => {}); // EPIPE when the program closed its stdin: reported below, never thrown
    stdin.write(data);
    return true;
  });
  def('sendRemoteCommEvent', [B, S, S], 'Send an event that will be received by event listener subprocesses subscribing to the RemoteCommunicationEvent.', (ctx, p) => {
    ctx.remoteCommEvent(String(p[0] ?? ''), String(p[1] ?? ''));
    return true;
  });
  return m;
}
