/** getProcessInfo's struct, field for field as supervisord 4.2 builds it (rpcinterface.py). */
import type { LogTarget } from '../config/model.js';
import type { ProcessInstance } from '../supervisor/instance.js';
import type { ProcessState } from '../supervisor/states.js';
import { formatUptime } from '../control/handlers/status.js';

export const STATE_CODES: Record<ProcessState, number> = {
  STOPPED: 0,
  STARTING: 10,
  RUNNING: 20,
  BACKOFF: 30,
  STOPPING: 40,
  EXITED: 100,
  FATAL: 200,
};

/** supervisord's RUNNING_STATES (startProcess refuses them, stopProcess needs them). */
export const RUNNING_STATES: ReadonlySet<ProcessState> = new Set(['RUNNING', 'BACKOFF', 'STARTING']);
export const STOPPED_STATES: ReadonlySet<ProcessState> = new Set(['STOPPED', 'EXITED', 'FATAL']);
export const SIGNALLABLE_STATES: ReadonlySet<ProcessState> = new Set(['RUNNING', 'STARTING', 'STOPPING']);

export interface ProcessInfo {
  name: string;
  group: string;
  start: number;
  stop: number;
  now: number;
  state: number;
  statename: ProcessState;
  spawnerr: string;
  exitstatus: number;
  logfile: string;
  stdout_logfile: string;
  stderr_logfile: string;
  pid: number;
  description: string;
}

/** The path supervisord would report for a log target ('' for none). */
export function logPath(target: LogTarget): string {
  switch (target.kind) {
    case 'file':
      return target.path;
    case 'mux':
      return '/dev/stdout';
    case 'stderr':
      return '/dev/stderr';
    case 'none':
      return '';
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Python's strftime('%b %d %I:%M %p') in local time. */
export function stopTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const h = d.getHours();
  return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(h % 12 === 0 ? 12 : h % 12)}:${pad(d.getMinutes())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** supervisord's spawnerr: why the last start failed ('' when it did not). */
export function spawnError(inst: ProcessInstance): string {
  if (inst.state !== 'BACKOFF' && inst.state !== 'FATAL') return '';
  const last = inst.lastExit;
  if (last?.error) return last.error;
  return 'Exited too quickly (process log may have details)';
}

export function processInfo(inst: ProcessInstance, nowMs = Date.now()): ProcessInfo {
  const start = inst.startedAt !== null ? Math.floor(inst.startedAt / 1000) : 0;
  const last = inst.lastExit;
  const stop = last ? Math.floor(last.at / 1000) : 0;
  const now = Math.floor(nowMs / 1000);
  const pid = inst.pid ?? 0;
  const spawnerr = spawnError(inst);
  let description = '';
  switch (inst.state) {
    case 'RUNNING':
      description = `pid ${pid}, uptime ${formatUptime(Math.max(0, now - start))}`;
      break;
    case 'FATAL':
    case 'BACKOFF':
      description = spawnerr || `unknown error (try "tail ${inst.spec.name}")`;
      break;
    case 'STOPPED':
    case 'EXITED':
      description = start ? stopTime(stop) : 'Not started';
      break;
  }
  const stdout = logPath(inst.spec.stdoutLog);
  return {
    name: inst.spec.name,
    group: inst.spec.group,
    start,
    stop,
    now,
    state: STATE_CODES[inst.state],
    statename: inst.state,
    spawnerr,
    // supervisord records the exit status only of a process that was RUNNING (not of a too quick exit)
    exitstatus: last && inst.state !== 'BACKOFF' && inst.state !== 'FATAL' ? (last.code ?? (last.signal ? -1 : 0)) : 0,
    logfile: stdout,
    stdout_logfile: stdout,
    stderr_logfile: inst.spec.redirect_stderr ? '' : logPath(inst.spec.stderrLog),
    pid,
    description,
  };
}
