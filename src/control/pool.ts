/**
 * Limits shared by every connection to procinit's control sockets, so that no number of clients can
 * take procinit's memory or lock out a HEALTHCHECK:
 *
 * - at most MAX_CONNECTIONS at once; when a new one comes at the limit, the connection idle longest is
 *   closed to make room (then the one most behind in reading its answers); only when every connection is
 *   busy working is the newcomer refused (`busy`, one line);
 * - at most MAX_BUFFERED_REPLIES bytes of answers and stream events waiting, over all connections: a
 *   connection that adds to the backlog beyond it is closed (each connection also stops reading requests
 *   while its own answers wait, connection.ts).
 *
 * - after a burst (more than BURST_BYTES waiting at once, or more than BURST_CONNECTIONS open), once
 *   things are quiet again for RECLAIM_DELAY_MS, memory is given back to the kernel (a compacting GC and
 *   malloc_trim, native/memory.cc): without it RSS stays at the burst's peak for good.
 *
 * - per turn of the event loop, at most TURN_BUDGET requests read over all connections (TurnBudget); a
 *   connection without a token stops reading and queues, the queue is served round-robin, and new
 *   connections (fewer than FRESH_REQUESTS read) are served before it, newest first: a HEALTHCHECK's
 *   status waits for at most a turn or two, never behind a storm. 400 connections pipelining thousands of `status` each used
 *   to make every turn answer 32 x 400 of them (0.7-1.8 s, and 3.5 s at load 9, before a new client's
 *   status got its turn).
 *
 * The backlog is counted incrementally (O(1) per write): what each connection had waiting at its last
 * write, reset when it drains. A connection that has flushed part of its backlog since counts high until
 * its next write or drain, which errs on the side of less memory.
 */
import type { Connection } from './connection.js';
import { socketAddon } from './native-socket.js';

export const MAX_CONNECTIONS = 1024;
/** Answers and events waiting for their clients, over all connections. */
export const MAX_BUFFERED_REPLIES = 64 * 1024 * 1024;
/** What counts as a burst worth giving memory back after. */
export const BURST_BYTES = 4 * 1024 * 1024;
export const BURST_CONNECTIONS = 128;
/** Quiet time after a burst before memory is given back. */
export const RECLAIM_DELAY_MS = 3000;

/** Requests read per turn of the event loop, over all connections. */
export const TURN_BUDGET = 64;
/** A connection that has had fewer requests answered than this is new: it is served first. */
export const FRESH_REQUESTS = 4;

/** What the budget hands its turns to (a Connection). */
export interface TurnTaker {
  readonly closed: boolean;
  /** Bytes received and not yet read as requests (what it would still ask of the budget). */
  readonly pending: number;
  /** The budget has tokens again: go on reading what waits. */
  resumeTurn(): void;
}

/**
 * Tokens for pipelined requests, refilled once per turn of the event loop (setImmediate), and two queues
 * of the connections waiting for one: new connections (fewer than FRESH_REQUESTS requests read) and the
 * others, round-robin. Each refill serves the new ones first while tokens last, those with the fewest bytes
 * waiting first (then the newest); a new connection that has had its FRESH_REQUESTS goes to the back of the
 * others. While a new connection waits, an old one gets no token even in the turn's poll phase. So a
 * HEALTHCHECK's one `status` is read ahead of every pipelined request, and ahead of the connections of a
 * storm that arrived with it, each holding 64 KiB of requests (before, it waited behind 200 of them, 16 a
 * turn).
 */
export class TurnBudget {
  private left: number;
  /** New connections waiting, newest first. */
  private fresh: TurnTaker[] = [];
  /** The others waiting, in order. */
  private queue: TurnTaker[] = [];
  private readonly queued = new Set<TurnTaker>();
  private refillScheduled = false;

  constructor(readonly perTurn = TURN_BUDGET) {
    this.left = perTurn;
  }

  /** Connections waiting for a token. */
  get waiting(): number {
    return this.queued.size;
  }

  /**
   * A token for one more request in this turn; false (and t queued: with the new connections when fresh)
   * when this turn has none left, or none for an old connection while a new one waits.
   */
  take(t: TurnTaker, fresh = false): boolean {
    this.scheduleRefill();
    if (this.queued.has(t)) return false;
    if (this.left > 0 && (fresh || this.fresh.length === 0)) {
      this.left--;
      return true;
    }
    this.queued.add(t);
    if (fresh) this.fresh.unshift(t);
    else this.queue.push(t);
    return false;
  }

  private scheduleRefill(): void {
    if (this.refillScheduled) return;
    this.refillScheduled = true;
    setImmediate(() => this.refill());
  }

  private refill(): void {
    this.refillScheduled = false;
    this.left = this.perTurn;
    if (this.fresh.length > 1) this.fresh = byPending(this.fresh);
    // new connections first: each resumed one takes tokens while it is new, then queues with the others (or,
    // out of tokens while still new, at the front again); each pass takes a token or a connection off
    while (this.left > 0 && this.fresh.length > 0) {
      const t = this.fresh.shift()!;
      this.queued.delete(t);
      if (!t.closed) t.resumeTurn();
    }
    const serving = this.queue;
    this.queue = [];
    let i = 0;
    for (; i < serving.length && this.left > 0; i++) {
      const t = serving[i];
      this.queued.delete(t);
      if (!t.closed) t.resumeTurn(); // may take tokens, and queue itself again (at the back)
    }
    // the ones not reached keep their place ahead of those that queued again
    if (i < serving.length) this.queue = serving.slice(i).concat(this.queue);
    this.fresh = this.prune(this.fresh);
    this.queue = this.prune(this.queue);
    if (this.queued.size > 0) this.scheduleRefill();
  }

  /** Drop closed connections from a queue. */
  private prune(q: TurnTaker[]): TurnTaker[] {
    if (!q.some((t) => t.closed)) return q;
    for (const t of q) if (t.closed) this.queued.delete(t);
    return q.filter((t) => !t.closed);
  }
}

/** Fewest bytes waiting first; a stable sort, so equals keep their order (newest first). */
function byPending(q: TurnTaker[]): TurnTaker[] {
  const keyed = q.map((t, i) => ({ t, i, bytes: t.closed ? 0 : t.pending }));
  keyed.sort((a, b) => a.bytes - b.bytes || a.i - b.i);
  return keyed.map((k) => k.t);
}

/** Gives memory back once, RECLAIM_DELAY_MS after the last call to soon() (debounced). */
export class Reclaimer {
  private timer: NodeJS.Timeout | null = null;
  /** Times memory was given back (for tests and figures). */
  count = 0;

  constructor(
    private readonly delayMs = RECLAIM_DELAY_MS,
    private readonly trim: () => void = () => socketAddon()?.trimMemory(),
  ) {}

  soon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.count++;
      try {
        this.trim();
      } catch {
        /* best effort */
      }
    }, this.delayMs);
    this.timer.unref();
  }
}

export class ConnectionPool {
  private readonly members = new Set<Connection>();
  private readonly backlog = new Map<Connection, number>();
  private total = 0;
  /** A burst happened since memory was last given back. */
  private burst = false;

  constructor(
    readonly max = MAX_CONNECTIONS,
    readonly maxBuffered = MAX_BUFFERED_REPLIES,
    readonly reclaimer = new Reclaimer(),
    readonly turns = new TurnBudget(),
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** Bytes waiting, over all connections (as last seen). */
  get buffered(): number {
    return this.total;
  }

  add(conn: Connection): void {
    this.members.add(conn);
    if (this.members.size > BURST_CONNECTIONS) this.burst = true;
    void conn.whenClosed().then(() => {
      this.members.delete(conn);
      this.note(conn, 0);
      this.settle();
    });
  }

  /** Things got quieter: after a burst, give memory back once they stay so. */
  private settle(): void {
    if (this.burst) this.reclaimer.soon();
    if (this.members.size <= BURST_CONNECTIONS / 2 && this.total === 0) this.burst = false;
  }

  /** A connection's backlog is now this many bytes; true while the total is within the bound. */
  note(conn: Connection, bytes: number): boolean {
    const before = this.backlog.get(conn) ?? 0;
    if (bytes === before) return this.total <= this.maxBuffered;
    this.total += bytes - before;
    if (bytes === 0) this.backlog.delete(conn);
    else this.backlog.set(conn, bytes);
    if (this.total > BURST_BYTES) this.burst = true;
    else if (bytes < before) this.settle();
    return this.total <= this.maxBuffered;
  }

  /** Room for one more connection, closing the least useful one if needed; false when all are busy. */
  makeRoom(): boolean {
    if (this.members.size < this.max) return true;
    let idlest: Connection | null = null;
    let slowest: Connection | null = null;
    for (const c of this.members) {
      if (c.closed) continue;
      if (c.idle) {
        if (idlest === null || c.lastActive < idlest.lastActive) idlest = c;
      } else if (c.waitingBytes > 0 && (slowest === null || c.waitingBytes > slowest.waitingBytes)) slowest = c;
    }
    const victim = idlest ?? slowest;
    if (victim === null) return false;
    victim.evict();
    this.members.delete(victim); // its 'close' comes later; the room is needed now
    return true;
  }
}
