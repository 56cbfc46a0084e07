/** `status`: each selected process's state, READY flag, pid, uptime or last exit, restarts, and whether it is healthy. */
import { describeExit, exitStatus, type ExitInfo } from '../../supervisor/exit-info.js';
import type { ProcessInstance } from '../../supervisor/instance.js';
import type { ProcessState } from '../../supervisor/states.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { stringList } from './args.js';
import { PreEncoded } from '../protocol.js';

/** CPU and memory of each instance against its limits (src/health/limits), when procinit measures them. */
export interface ResourceSource {
  usage(inst: ProcessInstance): ResourceUsageJson;
  /** How limits are enforced here, one line; null when no process has limits. */
  describeMode(): string | null;
  /** Someone is looking: keep sampling CPU and memory for a while. */
  watch(): void;
}

export interface ResourceUsageJson {
  limit_mode: 'cgroup-v2' | 'cgroup-v1' | 'rss' | null;
  memory: number | null;
  memory_limit: number | null;
  cpu_percent: number | null;
  cpu_limit: number | null;
  memory_kills: number;
}

export interface ExitJson {
  code: number | null;
  signal: string | null;
  error: string | null;
  /** The shell's view: the code, 128+n for signal n, 126/127 for spawn errors. */
  status: number;
  at: string;
}

/** One element of `status --json` (documented in docs/protocol.md; keys are stable). */
export interface ProcessStatus {
  name: string;
  group: string;
  program: string;
  instance: number;
  state: ProcessState;
  pid: number | null;
  /** Should be running now (false: stopped on purpose, or exited with an expected code). */
  wanted: boolean;
  /** RUNNING and ready: its readiness probe passed or it said so (READY=1, notification-fd); always, without those. */
  ready: boolean;
  /** Counts as well for the exit code: not wanted, or RUNNING and ready; never while held back by depends_on. */
  healthy: boolean;
  /** Held back by depends_on: what it waits for (e.g. "db to be ready"), else null. */
  waiting_for: string | null;
  /** Restarts asked for by a failed liveness/startup probe or a missed watchdog ping (also in restarts). */
  health_restarts: number;
  /** The last failed probe's error, the program's STATUS= text, or why health restarted it; else null. */
  health: string | null;
  started_at: string | null;
  /** Whole seconds since the start, while it has a pid. */
  uptime: number | null;
  restarts: number;
  exit: ExitJson | null;
  /** Uptime or exit information as the table shows it. */
  description: string;
  /** CPU and memory against the limits; null when procinit does not measure them (no limits module). */
  resources: ResourceUsageJson | null;
}

export interface StatusResult {
  processes: ProcessStatus[];
  unknown: string[];
  /** How memory and cpu limits are enforced ("limits: cgroup v1, ..."), or null when no process has any. */
  limits?: string | null;
}

export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return d > 0 ? `${d} day${d === 1 ? '' : 's'}, ${hms}` : hms;
}

export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function exitJson(info: ExitInfo | null): ExitJson | null {
  if (!info) return null;
  return { code: info.code, signal: info.signal, error: info.error, status: exitStatus(info), at: new Date(info.at).toISOString() };
}

function describe(inst: ProcessInstance, now: number, uptime: number | null, waitingFor: string | null): string {
  const last = inst.lastExit;
  const ago = last ? `, ${formatAgo(now - last.at)}` : '';
  if (waitingFor !== null) return `waiting for ${waitingFor}`;
  switch (inst.state) {
    case 'RUNNING':
      return `uptime ${formatUptime(uptime ?? 0)}${inst.readyFlag ? '' : `, not ready${inst.healthNote ? `: ${inst.healthNote}` : ''}`}`;
    case 'STARTING':
      return `starting, ${formatUptime(uptime ?? 0)}`;
    case 'STOPPING':
      return `stopping (SIG${inst.spec.stopsignal} sent)`;
    case 'BACKOFF':
      return `${last ? describeExit(last) : 'could not start'} while starting, attempt ${inst.backoff}`;
    case 'FATAL':
      return `gave up: ${last ? describeExit(last) : 'could not start'}${ago}`;
    case 'EXITED':
      return `${last ? describeExit(last) : 'exited'}${ago}${inst.restartPending ? ', restart pending' : ''}`;
    case 'STOPPED':
      return last ? `stopped${ago}` : inst.spec.autostart ? 'not started' : 'not started (autostart=false)';
  }
}

export function processStatus(inst: ProcessInstance, now = Date.now(), resources: ResourceSource | null = null, waitingFor: string | null = null): ProcessStatus {
  const pid = inst.pid;
  const uptime = pid !== null && inst.startedAt !== null ? Math.max(0, Math.floor((now - inst.startedAt) / 1000)) : null;
  const wanted = inst.wanted;
  const ready = inst.ready;
  return {
    name: inst.name,
    group: inst.spec.group,
    program: inst.spec.program,
    instance: inst.spec.instance,
    state: inst.state,
    pid,
    wanted,
    ready,
    healthy: waitingFor === null && (!wanted || ready),
    waiting_for: waitingFor,
    health_restarts: inst.healthRestarts,
    health: inst.healthNote,
    started_at: inst.startedAt !== null ? new Date(inst.startedAt).toISOString() : null,
    uptime,
    restarts: inst.restarts,
    exit: exitJson(inst.lastExit),
    description: describe(inst, now, uptime, waitingFor),
    resources: resources ? resources.usage(inst) : null,
  };
}

/** Processes per slice of a large status: made and encoded, then the event loop gets a turn. */
export const STATUS_SLICE = 500;

export function statusHandler(supervisor: Supervisor, resources: ResourceSource | null = null) {
  return async (args: Record<string, unknown>): Promise<StatusResult | PreEncoded> => {
    const names = stringList(args, 'names');
    const { found, unknown } = supervisor.select(names);
    resources?.watch();
    const now = Date.now();
    const limits = resources?.describeMode() ?? null;
    if (found.length <= STATUS_SLICE) {
      return { processes: found.map((i) => processStatus(i, now, resources, supervisor.waitingFor(i))), unknown, limits };
    }
    // thousands of processes: made and encoded STATUS_SLICE at a time, the event loop turning in between
    // (the same JSON as one JSON.stringify of the object above, keys in the same order)
    const parts: string[] = [];
    for (let at = 0; at < found.length; at += STATUS_SLICE) {
      if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const slice = found.slice(at, at + STATUS_SLICE).map((i) => processStatus(i, now, resources, supervisor.waitingFor(i)));
      parts.push(JSON.stringify(slice).slice(1, -1));
    }
    return new PreEncoded(`{"processes":[${parts.join(',')}],"unknown":${JSON.stringify(unknown)},"limits":${JSON.stringify(limits)}}`);
  };
}
