/**
 * The event bus: every event procinit raises goes through publish(), which hands it to each listener pool
 * subscribed to its type (or a parent type), as supervisor/events.py notify() does. This is also the API
 * other parts call: XML-RPC's supervisor.sendRemoteCommEvent(type, data) is
 * `bus.publish(remoteCommunicationEvent(type, data))`.
 */
import type { SupervisorEvent } from './event.js';
import { isSubtype, type EventTypeName } from './types.js';

/** An event on its way to pools: its global serial is given by the first pool that takes it. */
export interface QueuedEvent {
  readonly event: SupervisorEvent;
  serial: number | null;
  readonly poolSerials: Map<string, number>;
}

export interface EventSubscriber {
  readonly name: string;
  /** The types this subscriber listens to (events= of an [eventlistener:x]). */
  readonly events: readonly EventTypeName[];
  accept(queued: QueuedEvent, head?: boolean): void;
}

export class EventBus {
  private serial = -1;
  private readonly subscribers: EventSubscriber[] = [];
  private readonly watchers = new Set<(event: SupervisorEvent) => void>();

  subscribe(s: EventSubscriber): () => void {
    this.subscribers.push(s);
    return () => {
      const i = this.subscribers.indexOf(s);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  /** Watch every event published (tests, diagnostics); never throws into publish. */
  watch(fn: (event: SupervisorEvent) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Whether anything would see an event at all (a subscriber or a watcher): if not, it need not be made. */
  get listening(): boolean {
    return this.subscribers.length > 0 || this.watchers.size > 0;
  }

  /** Whether any subscriber would receive an event of this type (saves work for unwatched events). */
  wants(type: EventTypeName): boolean {
    return this.subscribers.some((s) => s.events.some((t) => isSubtype(type, t)));
  }

  /** supervisord's GlobalSerial: one counter for the whole run. */
  nextSerial(): number {
    if (this.serial === Number.MAX_SAFE_INTEGER) this.serial = -1;
    return ++this.serial;
  }

  /** Raise an event: every subscribed pool buffers it and dispatches it to a ready listener. */
  publish(event: SupervisorEvent): void {
    if (!this.listening) return; // nobody to tell: a start's group and state events, without listeners
    for (const w of this.watchers) {
      try {
        w(event);
      } catch {
        // a watcher's fault is its own
      }
    }
    const queued: QueuedEvent = { event, serial: null, poolSerials: new Map() };
    for (const s of [...this.subscribers]) {
      if (s.events.some((t) => isSubtype(event.type, t))) s.accept(queued);
    }
  }
}
