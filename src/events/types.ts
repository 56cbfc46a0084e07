/**
 * supervisord's event types (supervisor/events.py EventTypes) and their hierarchy: a listener subscribed
 * to a type gets every event of that type and of its subtypes (`isinstance`), as in supervisord.
 * Imports nothing.
 */

/** Every event type name a config's `events=` may list, with its parent type (EVENT is the root). */
const PARENT = {
  EVENT: null,
  PROCESS_STATE: 'EVENT',
  PROCESS_STATE_STOPPED: 'PROCESS_STATE',
  PROCESS_STATE_EXITED: 'PROCESS_STATE',
  PROCESS_STATE_STARTING: 'PROCESS_STATE',
  PROCESS_STATE_STOPPING: 'PROCESS_STATE',
  PROCESS_STATE_BACKOFF: 'PROCESS_STATE',
  PROCESS_STATE_FATAL: 'PROCESS_STATE',
  PROCESS_STATE_RUNNING: 'PROCESS_STATE',
  PROCESS_STATE_UNKNOWN: 'PROCESS_STATE',
  PROCESS_COMMUNICATION: 'EVENT',
  PROCESS_COMMUNICATION_STDOUT: 'PROCESS_COMMUNICATION',
  PROCESS_COMMUNICATION_STDERR: 'PROCESS_COMMUNICATION',
  PROCESS_LOG: 'EVENT',
  PROCESS_LOG_STDOUT: 'PROCESS_LOG',
  PROCESS_LOG_STDERR: 'PROCESS_LOG',
  REMOTE_COMMUNICATION: 'EVENT',
  SUPERVISOR_STATE_CHANGE: 'EVENT',
  SUPERVISOR_STATE_CHANGE_RUNNING: 'SUPERVISOR_STATE_CHANGE',
  SUPERVISOR_STATE_CHANGE_STOPPING: 'SUPERVISOR_STATE_CHANGE',
  TICK: 'EVENT',
  TICK_5: 'TICK',
  TICK_60: 'TICK',
  TICK_3600: 'TICK',
  PROCESS_GROUP: 'EVENT',
  PROCESS_GROUP_ADDED: 'PROCESS_GROUP',
  PROCESS_GROUP_REMOVED: 'PROCESS_GROUP',
} as const;

export type EventTypeName = keyof typeof PARENT;

/** The names `events=` accepts (abstract types included, as supervisord accepts them). */
export const EVENT_TYPE_NAMES: readonly EventTypeName[] = Object.keys(PARENT) as EventTypeName[];

export function isEventTypeName(name: string): name is EventTypeName {
  return Object.prototype.hasOwnProperty.call(PARENT, name);
}

/** True when an event of type `type` is delivered to a subscription to `subscribed` (isinstance). */
export function isSubtype(type: EventTypeName, subscribed: EventTypeName): boolean {
  let t: EventTypeName | null = type;
  while (t !== null) {
    if (t === subscribed) return true;
    t = PARENT[t];
  }
  return false;
}

/** The periods of the tick events, in seconds, by name. */
export const TICKS: ReadonlyArray<{ name: 'TICK_5' | 'TICK_60' | 'TICK_3600'; period: number }> = [
  { name: 'TICK_5', period: 5 },
  { name: 'TICK_60', period: 60 },
  { name: 'TICK_3600', period: 3600 },
];
