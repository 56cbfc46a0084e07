/**
 * One client connection to the control socket: reads request lines (capped), dispatches each to its
 * command, writes answers and streams. Whatever a client sends or does, it costs only its own connection:
 * bad lines get an error answer, an oversized line gets `too_large` and the connection is closed, a client
 * that stops reading gets no further request read while REPLY_HIGH_WATER bytes of answers wait for it (so
 * pipelining without reading costs at most MAX_IN_FLIGHT answers more), is dropped once MAX_WRITE_BACKLOG
 * bytes wait, or once the answers waiting over all connections exceed the pool's bound (pool.ts), and a
 * client that vanishes only ends its own streams.
 */
import type { Socket } from 'node:net';
import {
  encode,
  encodeOkRaw,
  LineReader,
  PreEncoded,
  parseRequest,
  RequestError,
  RequestIdError,
  type ErrorBody,
  type Hello,
  type Request,
  type RequestId,
} from './protocol.js';
import { MAX_LINE_BYTES } from './protocol.js';
import { FRESH_REQUESTS, type ConnectionPool, type TurnTaker } from './pool.js';

const MAX_LINE_LIMIT_TEXT = `${MAX_LINE_BYTES / 1024 / 1024} MiB`;

/** Answers waiting for a client that does not read: beyond this the connection is dropped. */
export const MAX_WRITE_BACKLOG = 8 * 1024 * 1024;
/** Requests of one connection being worked on at once; reading pauses beyond it. */
export const MAX_IN_FLIGHT = 32;
/** Answers waiting for the client beyond this: no further request is read until they are read. */
export const REPLY_HIGH_WATER = 16 * 1024;
/** Bad lines in a row before the connection is closed (random bytes are not a client). */
export const MAX_BAD_LINES = 10;
/** A connection with nothing in flight and no stream is closed after this long. */
export const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export interface Stream {
  /** Send one event; false when the stream is over (client gone or too slow). */
  event(e: unknown): boolean;
  /** Send events already encoded as JSON (one write for all); false when the stream is over. */
  eventsJson(json: readonly string[]): boolean;
  /** The request's id, for encodeEvents. */
  readonly id: RequestId;
  /** Send lines made by encodeEvents(this.id, ...): one buffer may be shared by many streams. */
  sendEncoded(lines: Buffer): boolean;
  /** End the stream (with an error when it ended abnormally). */
  end(error?: ErrorBody): void;
  readonly ended: boolean;
  /** Called once when the stream ends for any reason (client gone, server closing, end()). */
  onEnd(fn: () => void): void;
  /** More than STREAM_PAUSE_BYTES wait for the client: a producer that can wait should await drained(). */
  readonly congested: boolean;
  /** Resolves once the client has read what waits (or the stream is over). */
  drained(): Promise<void>;
}

/** A stream that can wait (a backlog) waits beyond this; one that cannot (following) is dropped at twice... */
export const STREAM_PAUSE_BYTES = 1024 * 1024;
/**
 * ...at this many bytes behind, with `too_slow`: a follower that stops reading costs at most this, and is
 * dropped within a fraction of a second of a flood, before it costs the container's own output.
 */
export const STREAM_DROP_BYTES = 2 * STREAM_PAUSE_BYTES;

export interface RequestContext {
  readonly request: Request;
  /** Answer ok with stream:true and return the stream; the handler's return value is then ignored. */
  beginStream(result: unknown): Stream;
  /**
   * For `attach` (commands registered exclusive): take the raw socket out of the JSON protocol.
   * Call right after writing the ok answer with writeOk(); rest holds bytes the client sent after the
   * request line. The socket may be paused: listen for 'data', then resume() it. The connection forgets it.
   */
  upgrade(): { socket: Socket; rest: Buffer };
  /** Write the ok answer now (before upgrade()); the handler's return value is then ignored. */
  writeOk(result: unknown): void;
  /** The client is gone. */
  readonly closed: boolean;
}

export type Handler = (args: Record<string, unknown>, ctx: RequestContext) => Promise<unknown>;

export interface CommandEntry {
  handler: Handler;
  /** Stop reading this connection's requests until the handler is done (attach upgrades the socket). */
  exclusive?: boolean;
}

export interface ConnectionEvents {
  hello: Hello;
  commands: ReadonlyMap<string, CommandEntry>;
  /** An unexpected handler failure (a bug): logged, answered `internal`. */
  onInternalError(cmd: string, err: unknown): void;
  /** Limits shared with the other connections (pool.ts). */
  pool?: ConnectionPool;
}

export class Connection implements TurnTaker {
  private readonly reader: LineReader;
  private inFlight = 0;
  private badLines = 0;
  private clientEnded = false;
  private closedFlag = false;
  private upgraded = false;
  /** An exclusive request (attach) is being handled: read no further request until it is done. */
  private held = false;
  /** Bytes received while blocked, in order. */
  private heldBytes: Buffer[] = [];
  /** Queued for a token of the pool's turn budget (pipelined requests, pool.ts): read nothing until then. */
  private waitingTurn = false;
  private readonly streams = new Set<StreamImpl>();
  private closeWaiters: Array<() => void> = [];
  /** Date.now() of the last byte read or written. */
  lastActive = Date.now();

  constructor(
    readonly socket: Socket,
    private readonly ev: ConnectionEvents,
  ) {
    this.reader = new LineReader(
      (line) => this.onLine(line),
      () => this.fail({ code: 'too_large', message: `request line longer than ${MAX_LINE_LIMIT_TEXT}: closing the connection` }),
    );
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', () => {
      /* ECONNRESET / EPIPE: the client is gone; 'close' follows */
    });
    socket.once('close', () => this.onClose());
    socket.on('drain', () => {
      this.ev.pool?.note(this, 0);
      if (!this.upgraded && !this.closedFlag) this.unblock();
    });
    socket.setTimeout(IDLE_TIMEOUT_MS, () => {
      if (this.inFlight === 0 && this.streams.size === 0) socket.destroy();
    });
    this.write(ev.hello);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Nothing being worked on, streamed, waiting to be read or sent: the first to go when room is needed. */
  get idle(): boolean {
    return this.inFlight === 0 && this.streams.size === 0 && !this.upgraded && this.heldBytes.length === 0 && this.socket.writableLength === 0;
  }

  /** Bytes received and not yet read as requests (the turn budget serves the fewest first). */
  get pending(): number {
    let n = this.reader.pending;
    for (const b of this.heldBytes) n += b.length;
    return n;
  }

  /** Bytes of answers waiting for the client. */
  get waitingBytes(): number {
    return this.socket.writableLength;
  }

  /** Closed to make room for a new connection (pool.ts). */
  evict(): void {
    this.socket.destroy();
  }

  /** Resolves once the socket is closed. */
  whenClosed(): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    return new Promise((r) => this.closeWaiters.push(r));
  }

  /**
   * No further request is read now: an exclusive one is in hand, MAX_IN_FLIGHT are, answers wait, or it
   * waits for a turn of the pool's budget.
   */
  private get blocked(): boolean {
    return this.held || this.waitingTurn || this.inFlight >= MAX_IN_FLIGHT || this.socket.writableLength > REPLY_HIGH_WATER;
  }

  /** Requests read so far (a new connection is served first when requests wait for their turn). */
  private requests = 0;

  /**
   * May one more request line be read in this turn? Each takes a token of the pool's turn budget; without
   * one the connection queues for a later turn (a new connection at the front of the queue: a
   * HEALTHCHECK's status never waits behind others' pipelines).
   */
  private mayRead(): boolean {
    if (this.blocked) return false;
    const turns = this.ev.pool?.turns;
    if (!turns || turns.take(this, this.requests < FRESH_REQUESTS)) return true;
    this.waitingTurn = true;
    return false;
  }

  private readonly stopBeforeLine = (): boolean => !this.mayRead();

  /** The pool's budget has a token for this connection again. */
  resumeTurn(): void {
    this.waitingTurn = false;
    if (!this.upgraded && !this.closedFlag) this.unblock();
  }

  /** Set once fail() has answered: the connection is closing. */
  private failed = false;

  private readonly onData = (chunk: Buffer): void => {
    if (this.failed) return; // answered and closing: whatever else comes is dropped
    this.lastActive = Date.now();
    if (!this.mayRead()) {
      this.heldBytes.push(chunk);
      this.socket.pause();
      return;
    }
    const rest = this.reader.push(chunk, this.stopBeforeLine);
    if (this.failed) return;
    if (rest !== null && rest.length > 0) {
      this.heldBytes.push(rest);
      this.socket.pause();
    }
  };

  /** Go on with the bytes that arrived while blocked, then read the socket again. */
  private unblock(): void {
    if (this.blocked || this.upgraded || this.heldBytes.length === 0) {
      if (!this.blocked && !this.upgraded && !this.closedFlag) this.socket.resume();
      return;
    }
    const bytes = this.heldBytes;
    this.heldBytes = [];
    for (const b of bytes) this.onData(b);
    if (this.blocked) return;
    this.socket.resume();
    if (this.clientEnded) this.reader.end();
  }

  /**
   * The client has shut its sending side (or is gone: a half-open socket cannot tell). Requests already
   * sent are answered; streams end, since nobody may be reading them.
   */
  private readonly onEnd = (): void => {
    if (this.failed) return void this.socket.destroy();
    this.clientEnded = true;
    if (!this.blocked && this.heldBytes.length === 0) this.reader.end();
    for (const s of [...this.streams]) if (s.settled) s.end(); // the others end when their handler returns
    this.maybeFinish();
  };

  private onClose(): void {
    this.closedFlag = true;
    for (const s of [...this.streams]) s.drop();
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of waiters) w();
  }

  /** Close our side once the client has finished sending and nothing is left to answer. */
  private maybeFinish(): void {
    if (this.clientEnded && this.inFlight === 0 && this.streams.size === 0 && !this.upgraded && !this.closedFlag) this.socket.end();
  }

  write(message: object): boolean {
    return this.writeBytes(encode(message));
  }

  /** Write encoded lines; false (and the connection closed) when the client is too far behind. */
  writeBytes(bytes: Buffer | string): boolean {
    if (this.closedFlag || this.upgraded || this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(bytes);
    const waiting = this.socket.writableLength;
    if (waiting === 0) return true;
    this.lastActive = Date.now();
    const withinPool = this.ev.pool?.note(this, waiting) ?? true;
    if (waiting > MAX_WRITE_BACKLOG || !withinPool) {
      // the client does not read: drop it rather than buffer without bound
      this.socket.destroy();
      return false;
    }
    return true;
  }

  /** A protocol failure: answer it and close the connection. */
  /**
   * Answer once and close. The socket is ended but still read (and what comes is dropped) until the client
   * ends too or 2 s pass: closing it at once could reset a client still writing before it read the answer.
   */
  private fail(error: ErrorBody): void {
    this.failed = true;
    this.write({ id: null, error });
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 2000);
    t.unref();
    this.socket.once('close', () => clearTimeout(t));
  }

  private onLine(line: Buffer): void {
    if (this.closedFlag) return;
    this.requests++;
    let req: Request;
    try {
      req = parseRequest(line);
    } catch (err) {
      const e = err as RequestError;
      this.write({ id: err instanceof RequestIdError ? err.id : null, error: e.body });
      if (++this.badLines >= MAX_BAD_LINES) this.fail({ code: 'bad_request', message: `${MAX_BAD_LINES} bad requests in a row: closing the connection` });
      return;
    }
    this.badLines = 0;
    const entry = this.ev.commands.get(req.cmd);
    if (!entry) {
      this.write({ id: req.id, error: { code: 'unknown_command', message: `unknown command '${req.cmd}' (known: ${[...this.ev.commands.keys()].join(', ')})` } });
      return;
    }
    void this.run(req, entry);
  }

  private async run(req: Request, entry: CommandEntry): Promise<void> {
    this.inFlight++;
    if (entry.exclusive) this.held = true;
    const ctx = new ContextImpl(this, req);
    try {
      const result = await entry.handler(req.args, ctx);
      if (!ctx.answered) {
        if (result instanceof PreEncoded) this.writeBytes(encodeOkRaw(req.id, result.json));
        else this.write({ id: req.id, ok: true, result: result ?? null });
      }
    } catch (err) {
      if (err instanceof RequestError) {
        if (ctx.stream && !ctx.stream.ended) ctx.stream.end(err.body);
        else if (!ctx.answered) this.write({ id: req.id, error: err.body });
      } else {
        this.ev.onInternalError(req.cmd, err);
        const body: ErrorBody = { code: 'internal', message: `internal error in '${req.cmd}': ${(err as Error)?.message ?? String(err)}` };
        if (ctx.stream && !ctx.stream.ended) ctx.stream.end(body);
        else if (!ctx.answered) this.write({ id: req.id, error: body });
      }
    } finally {
      this.inFlight--;
      if (entry.exclusive && !this.upgraded) this.held = false;
      if (ctx.stream) {
        ctx.stream.settled = true;
        if (this.clientEnded) ctx.stream.end();
      }
      this.unblockSoon();
      this.maybeFinish();
    }
  }

  private unblockScheduled = false;

  /**
   * Go on reading in the next turn of the event loop, not in this one: a client pipelining thousands of
   * requests gets MAX_IN_FLIGHT of them answered per turn, and every other connection (a HEALTHCHECK's
   * status) gets its turn in between.
   */
  private unblockSoon(): void {
    if (this.unblockScheduled) return;
    this.unblockScheduled = true;
    setImmediate(() => {
      this.unblockScheduled = false;
      if (!this.upgraded && !this.closedFlag) this.unblock();
    });
  }

  addStream(s: StreamImpl): void {
    this.streams.add(s);
  }

  removeStream(s: StreamImpl): void {
    this.streams.delete(s);
    this.maybeFinish();
  }

  /** Hand the raw socket over (attach). */
  takeSocket(): { socket: Socket; rest: Buffer } {
    this.upgraded = true;
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.setTimeout(0);
    const rest = Buffer.concat(this.heldBytes);
    this.heldBytes = [];
    return { socket: this.socket, rest };
  }

  /** The server is closing: end every stream, finish answers, close. */
  shutdown(): void {
    for (const s of [...this.streams]) s.end();
    if (this.upgraded) return;
    if (this.inFlight === 0) this.socket.end();
    else this.clientEnded = true; // close once the answers are out
    const t = setTimeout(() => this.socket.destroy(), 3000);
    t.unref();
  }
}


class ContextImpl implements RequestContext {
  answered = false;
  stream: StreamImpl | null = null;

  constructor(
    private readonly conn: Connection,
    readonly request: Request,
  ) {}

  get closed(): boolean {
    return this.conn.closed;
  }

  beginStream(result: unknown): Stream {
    if (this.answered) throw new Error('request already answered');
    this.answered = true;
    this.conn.write({ id: this.request.id, ok: true, stream: true, result: result ?? null });
    this.stream = new StreamImpl(this.conn, this.request.id);
    if (this.conn.closed) this.stream.drop();
    else this.conn.addStream(this.stream);
    return this.stream;
  }

  writeOk(result: unknown): void {
    if (this.answered) throw new Error('request already answered');
    this.answered = true;
    this.conn.write({ id: this.request.id, ok: true, result: result ?? null });
  }

  upgrade(): { socket: Socket; rest: Buffer } {
    this.answered = true;
    return this.conn.takeSocket();
  }
}

const EMPTY = Buffer.alloc(0);

/** Event lines of one stream id, from events already encoded as JSON. */
export function encodeEvents(id: RequestId, json: readonly string[]): Buffer {
  const head = `{"id":${JSON.stringify(id)},"event":`;
  let text = '';
  for (const j of json) text += `${head}${j}}\n`;
  return Buffer.from(text);
}

class StreamImpl implements Stream {
  /** Its handler has returned: from now on only events from subscriptions arrive. */
  settled = false;
  private over = false;
  private endFns: Array<() => void> = [];

  constructor(
    private readonly conn: Connection,
    readonly id: RequestId,
  ) {}

  get ended(): boolean {
    return this.over;
  }

  event(e: unknown): boolean {
    return this.eventsJson([JSON.stringify(e) ?? 'null']);
  }

  eventsJson(json: readonly string[]): boolean {
    return this.sendEncoded(json.length === 0 ? EMPTY : encodeEvents(this.id, json));
  }

  sendEncoded(lines: Buffer): boolean {
    if (this.over) return false;
    if (this.conn.socket.writableLength > STREAM_DROP_BYTES) {
      this.end({ code: 'too_slow', message: 'the stream fell too far behind its reader and was dropped' });
      return false;
    }
    if (lines.length === 0) return true;
    if (!this.conn.writeBytes(lines)) {
      this.drop();
      return false;
    }
    return true;
  }

  end(error?: ErrorBody): void {
    if (this.over) return;
    this.conn.write(error ? { id: this.id, end: true, error } : { id: this.id, end: true });
    this.drop();
  }

  /** Over without a word (the client is gone). */
  drop(): void {
    if (this.over) return;
    this.over = true;
    this.conn.removeStream(this);
    const fns = this.endFns;
    this.endFns = [];
    for (const f of fns) f();
  }

  onEnd(fn: () => void): void {
    if (this.over) fn();
    else this.endFns.push(fn);
  }

  get congested(): boolean {
    return !this.over && this.conn.socket.writableLength > STREAM_PAUSE_BYTES;
  }

  drained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.conn.socket.off('drain', done);
        resolve();
      };
      this.conn.socket.once('drain', done);
      this.onEnd(done);
    });
  }
}
