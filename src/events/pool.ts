/**
 * An event listener pool (supervisor/process.py EventListenerPool): the [eventlistener:x]'s buffer of
 * events (buffer_size, the oldest dropped on overflow), its serial, and the dispatch of the oldest event to
 * the first of its processes that is RUNNING and READY. A rejected event (FAIL, a bad result, the listener
 * died while BUSY) goes back to the head of the buffer and is sent again.
 */
import type { EventBus, EventSubscriber, QueuedEvent } from './bus.js';
import { envelope } from './envelope.js';
import { pyBytesRepr } from './event.js';
import { ListenerProtocol, MAX_PENDING, type ListenerState } from './protocol.js';
import { EventQueue } from './queue.js';
import type { EventTypeName } from './types.js';

const RESOLVED = Promise.resolve();

export interface PoolLog {
  debug(msg: string): void;
  /** false: debug lines are not even built (the default is true: every line goes to debug()). */
  debugEnabled?: boolean;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface PoolOptions {
  name: string;
  events: readonly EventTypeName[];
  bufferSize: number;
  /** [supervisord] identifier (the `server:` of the header line). */
  identifier: string;
}

/** How the pool writes to one listener's stdin. */
export interface ListenerInput {
  write(data: Buffer): void;
}

/** One process of the pool while it runs. */
export class PoolListener {
  readonly protocol: ListenerProtocol;
  /** The event in flight (BUSY), for the result handler and for rebuffering when the process dies. */
  event: QueuedEvent | null = null;
  running = false;

  constructor(
    readonly name: string,
    readonly input: ListenerInput,
    pool: EventListenerPool,
  ) {
    this.protocol = new ListenerProtocol({
      onState: (from, to) => pool.listenerState(this, from, to),
      onResult: (result) => pool.result(this, result),
      onBadResultLine: (line) => pool.badResultLine(this, line),
      onOverflow: () => pool.overflow(this),
    });
  }

  get state(): ListenerState {
    return this.protocol.state;
  }
}

export class EventListenerPool implements EventSubscriber {
  readonly name: string;
  readonly events: readonly EventTypeName[];
  private serial = -1;
  private readonly buffer = new EventQueue<QueuedEvent>();
  /** Listener processes by name, in the pool's process order. */
  private readonly listeners = new Map<string, PoolListener>();
  private order: string[] = [];
  /** The listeners in dispatch order (the order, then the others as attached); null: to be made again. */
  private ordered: PoolListener[] | null = null;
  private scheduled = false;
  /** A dispatch is queued as a microtask (a listener said READY). */
  private soon = false;
  private closed = false;
  private readonly debugOn: boolean;

  constructor(
    private readonly opts: PoolOptions,
    private readonly bus: EventBus,
    private readonly log: PoolLog,
  ) {
    this.name = opts.name;
    this.events = opts.events;
    this.debugOn = log.debugEnabled !== false;
  }

  /** The pool's process names in supervisord's order (dispatch tries them in this order). */
  setOrder(names: string[]): void {
    this.order = [...names];
    this.ordered = null;
  }

  /** Events still to be delivered that a listener can take: one in flight, or waiting while a listener is up. */
  pending(): boolean {
    const up = [...this.listeners.values()].filter((l) => l.running && (l.state === 'READY' || l.state === 'BUSY' || l.state === 'ACKNOWLEDGED'));
    return up.some((l) => l.state === 'BUSY') || (this.buffer.length > 0 && up.length > 0);
  }

  /** Events waiting (tests, status). */
  get buffered(): number {
    return this.buffer.length;
  }

  /** A listener process was spawned: a fresh protocol, in ACKNOWLEDGED. */
  attach(name: string, input: ListenerInput): PoolListener {
    const l = new PoolListener(name, input, this);
    this.listeners.set(name, l);
    this.ordered = null;
    return l;
  }

  /** The process ended: an event it had not answered goes back to the head of the buffer. */
  detach(l: PoolListener): void {
    if (this.listeners.get(l.name) === l) this.listeners.delete(l.name);
    this.ordered = null;
    l.running = false;
    const ev = l.event;
    l.event = null;
    if (ev) this.rejected(ev);
  }

  /** The supervisor's state of a listener process changed (only RUNNING ones get events). */
  processState(name: string, state: string): void {
    const l = this.listeners.get(name);
    if (!l) return;
    l.running = state === 'RUNNING';
    if (l.running) this.schedule();
  }

  close(): void {
    this.closed = true;
  }

  // ---- buffering (_acceptEvent) --------------------------------------------------------------

  accept(q: QueuedEvent, head = false): void {
    if (this.closed) return;
    if (q.serial === null) q.serial = this.bus.nextSerial();
    if (!q.poolSerials.has(this.name)) {
      if (this.serial === Number.MAX_SAFE_INTEGER) this.serial = -1;
      q.poolSerials.set(this.name, ++this.serial);
    } else if (this.debugOn) {
      this.log.debug(`rebuffering event ${q.serial} for pool ${this.name} (buf size=${this.buffer.length}, max=${this.opts.bufferSize})`);
    }
    if (this.buffer.length >= this.opts.bufferSize && this.buffer.length > 0) {
      const discarded = this.buffer.shift()!;
      this.log.error(`pool ${this.name} event buffer overflowed, discarding event ${discarded.serial}`);
    }
    if (head) this.buffer.unshift(q);
    else this.buffer.push(q);
    this.schedule();
  }

  private rejected(q: QueuedEvent): void {
    this.accept(q, true);
  }

  // ---- dispatch ------------------------------------------------------------------------------

  /** Dispatch on the next turn of the event loop, as supervisord does in its main loop (never inside a state change). */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.dispatch();
      } catch (err) {
        // never into the event loop: PID 1 goes on, the event waits in the buffer
        this.log.error(`pool ${this.name}: cannot dispatch: ${(err as Error).message}`);
      }
    });
  }

  /**
   * A listener said READY: dispatch once the bytes it wrote have all been read (the rest of the chunk may be
   * spurious data that puts it in UNKNOWN, as in supervisord), without waiting for a turn of the event loop.
   */
  private dispatchSoon(): void {
    if (this.soon || this.closed) return;
    this.soon = true;
    // a promise's reaction, not queueMicrotask (which makes an AsyncResource each time: half the cost of an event)
    void RESOLVED.then(() => {
      this.soon = false;
      try {
        this.dispatch();
      } catch (err) {
        this.log.error(`pool ${this.name}: cannot dispatch: ${(err as Error).message}`);
      }
    });
  }

  /** The listeners in dispatch order: the pool's process order, then any other attached. */
  private inOrder(): PoolListener[] {
    if (this.ordered) return this.ordered;
    const names = [...this.order, ...[...this.listeners.keys()].filter((n) => !this.order.includes(n))];
    this.ordered = names.map((n) => this.listeners.get(n)).filter((l): l is PoolListener => !!l);
    return this.ordered;
  }

  private anyReady(): boolean {
    for (const l of this.inOrder()) if (l.running && l.state === 'READY') return true;
    return false;
  }

  dispatch(): void {
    if (this.closed) return;
    // an event leaves the buffer only when a listener takes it (shifting it out and back cost O(buffer))
    while (this.buffer.length > 0 && this.anyReady()) {
      const q = this.buffer.shift()!;
      if (!this.dispatchEvent(q)) {
        this.accept(q, true);
        break;
      }
    }
  }

  private dispatchEvent(q: QueuedEvent): boolean {
    let data: Buffer | null = null;
    for (const l of this.inOrder()) {
      if (!l.running || l.state !== 'READY') continue;
      try {
        data ??= Buffer.from(envelope(q, this.name, this.opts.identifier), 'utf8');
        l.input.write(data);
      } catch (err) {
        // supervisord: an EPIPE leaves the listener's state as it is (its exit will follow); try the next
        if (this.debugOn) this.log.debug(`epipe occurred while sending event ${q.serial} to listener ${l.name}, listener state unchanged (${(err as Error).message})`);
        continue;
      }
      l.event = q;
      l.protocol.state = 'BUSY'; // supervisord sets it without logging the change
      if (this.debugOn) this.log.debug(`event ${q.serial} sent to listener ${l.name}`);
      return true;
    }
    return false;
  }

  // ---- what the protocol reports -------------------------------------------------------------

  listenerState(l: PoolListener, from: ListenerState, to: ListenerState): void {
    if (this.debugOn) this.log.debug(`${l.name}: ${from} -> ${to}`);
    if (to === 'UNKNOWN') {
      this.log.warn(`${l.name}: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol`);
    }
    if (to === 'READY') {
      l.event = null;
      this.dispatchSoon();
    }
  }

  /** supervisord's default result handler (supervisor.dispatchers:default_handler): OK or rejected. */
  result(l: PoolListener, result: Buffer): void {
    const ev = l.event;
    l.event = null;
    if (result.length === 2 && result[0] === 0x4f && result[1] === 0x4b) {
      if (this.debugOn) this.log.debug(`${l.name}: event was processed`);
      l.protocol.change('ACKNOWLEDGED');
      return;
    }
    this.log.warn(`${l.name}: event was rejected`);
    l.protocol.change('ACKNOWLEDGED');
    if (ev) this.rejected(ev);
  }

  badResultLine(l: PoolListener, line: Buffer): void {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(line);
    } catch {
      text = `Undecodable: ${pyBytesRepr(line)}`;
    }
    this.log.warn(`${l.name}: bad result line: '${text}'`);
    const ev = l.event;
    l.event = null;
    if (ev) this.rejected(ev);
  }

  overflow(l: PoolListener): void {
    this.log.warn(`${l.name}: more than ${MAX_PENDING} bytes of result line or result: protocol violation`);
    const ev = l.event;
    l.event = null;
    if (ev) this.rejected(ev);
  }
}
