/**
 * One event as supervisord's listeners see it: its type and its payload, rendered when the event happens
 * (supervisord renders PROCESS_STATE's extra values eagerly; the others never change afterwards).
 * Payload texts are byte for byte supervisord 4.2's (supervisor/events.py `payload()` methods).
 */
import type { EventTypeName } from './types.js';

export interface SupervisorEvent {
  readonly type: EventTypeName;
  readonly payload: string;
}

/** What a PROCESS_STATE_* payload needs to know about the process. */
export interface ProcessStateFacts {
  name: string;
  group: string;
  from: string;
  to: string;
  /** STARTING / BACKOFF: the backoff counter (supervisord's `tries`). */
  tries: number;
  /** EXITED: the exit was expected (exitcodes). */
  expected: boolean;
  /** RUNNING / STOPPING / STOPPED / EXITED: the pid (0 when there was none). */
  pid: number;
}

const STATE_TYPES: Record<string, EventTypeName> = {
  STOPPED: 'PROCESS_STATE_STOPPED',
  EXITED: 'PROCESS_STATE_EXITED',
  STARTING: 'PROCESS_STATE_STARTING',
  STOPPING: 'PROCESS_STATE_STOPPING',
  BACKOFF: 'PROCESS_STATE_BACKOFF',
  FATAL: 'PROCESS_STATE_FATAL',
  RUNNING: 'PROCESS_STATE_RUNNING',
  UNKNOWN: 'PROCESS_STATE_UNKNOWN',
};

/** `processname:web groupname:web from_state:STARTING pid:42` (no newline: supervisord sends none). */
export function processStateEvent(f: ProcessStateFacts): SupervisorEvent {
  const parts = [`processname:${f.name}`, `groupname:${f.group}`, `from_state:${f.from}`];
  if (f.to === 'STARTING' || f.to === 'BACKOFF') parts.push(`tries:${f.tries}`);
  else if (f.to === 'EXITED') parts.push(`expected:${f.expected ? 1 : 0}`, `pid:${f.pid}`);
  else if (f.to === 'RUNNING' || f.to === 'STOPPING' || f.to === 'STOPPED') parts.push(`pid:${f.pid}`);
  const type = STATE_TYPES[f.to];
  if (!type) throw new Error(`no event type for state ${f.to}`);
  return { type, payload: parts.join(' ') };
}

/** PROCESS_LOG_STDOUT/STDERR: `processname:x groupname:g pid:n channel:stdout\n` + the bytes read. */
export function processLogEvent(name: string, group: string, pid: number, channel: 'stdout' | 'stderr', data: Buffer): SupervisorEvent {
  return {
    type: channel === 'stdout' ? 'PROCESS_LOG_STDOUT' : 'PROCESS_LOG_STDERR',
    payload: `processname:${name} groupname:${group} pid:${pid} channel:${channel}\n${asString(data)}`,
  };
}

/** PROCESS_COMMUNICATION_STDOUT/STDERR: what a program wrote between the XSUPERVISOR tokens. */
export function processCommunicationEvent(name: string, group: string, pid: number, channel: 'stdout' | 'stderr', data: Buffer): SupervisorEvent {
  return {
    type: channel === 'stdout' ? 'PROCESS_COMMUNICATION_STDOUT' : 'PROCESS_COMMUNICATION_STDERR',
    payload: `processname:${name} groupname:${group} pid:${pid}\n${asString(data)}`,
  };
}

/** REMOTE_COMMUNICATION (XML-RPC supervisor.sendRemoteCommEvent(type, data)): `type:T\ndata`. */
export function remoteCommunicationEvent(type: string, data: string): SupervisorEvent {
  return { type: 'REMOTE_COMMUNICATION', payload: `type:${type}\n${data}` };
}

export function supervisorStateEvent(state: 'RUNNING' | 'STOPPING'): SupervisorEvent {
  return { type: state === 'RUNNING' ? 'SUPERVISOR_STATE_CHANGE_RUNNING' : 'SUPERVISOR_STATE_CHANGE_STOPPING', payload: '' };
}

/** PROCESS_GROUP_ADDED/REMOVED: `groupname:g\n` (this one ends with a newline). */
export function processGroupEvent(kind: 'ADDED' | 'REMOVED', group: string): SupervisorEvent {
  return { type: kind === 'ADDED' ? 'PROCESS_GROUP_ADDED' : 'PROCESS_GROUP_REMOVED', payload: `groupname:${group}\n` };
}

/** TICK_5/60/3600: `when:<start of the period that just began, in whole seconds>`. */
export function tickEvent(type: 'TICK_5' | 'TICK_60' | 'TICK_3600', when: number): SupervisorEvent {
  return { type, payload: `when:${when}` };
}

/** Made on first use: a fatal UTF-8 decoder at module load was about 0.15 ms of every start. */
let utf8: InstanceType<typeof TextDecoder> | null = null;

/** supervisord's as_string(), or `Undecodable: b'...'` (Python's repr) when the bytes are not UTF-8. */
export function asString(data: Buffer): string {
  try {
    return (utf8 ??= new TextDecoder('utf-8', { fatal: true })).decode(data);
  } catch {
    return `Undecodable: ${pyBytesRepr(data)}`;
  }
}

/** Python 3's repr() of a bytes object. */
export function pyBytesRepr(data: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const b of data) {
    if (b === 0x27) hasSingle = true;
    else if (b === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = `b${quote}`;
  for (const b of data) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out + quote;
}

/** Python's len() of a str: code points, not UTF-16 units nor bytes (supervisord's `len:` counts these). */
export function pyLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
