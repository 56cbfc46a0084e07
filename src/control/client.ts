/**
 * The client end of the control protocol: connect, read the hello, send requests, route answers and
 * stream events by id. Used by every client command in src/cli/ (status, start, logs, ...), and by
 * `connect`, whose attach request turns the connection into binary frames (upgrade).
 *
 * While an answer is awaited (a request's, a stream's opening, an upgrade's, the close after `shutdown`)
 * the server's silence is watched: after silenceMs(timeoutMs) without a byte the client asks `hello` on the
 * same connection (answered at once, by id, beside the request), and when nothing at all comes back within
 * timeoutMs of that, it gives up with one line (stoppedAnswering). A long `stop` of a live procinit goes
 * on for as long as it takes; a server that accepts, says hello and then never answers (or whose event
 * loop is stuck) ends the verb in bounded time. An open stream (logs -f, connect's frames) is not watched.
 */
import { connect, type Socket } from 'node:net';
import { encode, LineReader, PROTOCOL_VERSION, type Hello, type RequestId } from './protocol.js';
import { netAddress } from './socket-path.js';
import {
  answerTooLarge,
  closedAfterHello,
  closedBeforeHello,
  ControlUnavailable,
  helloTimeout,
  MAX_ANSWER_BYTES,
  parseLine,
  PING_ID,
  readHello,
  remoteError,
  silenceMs,
  stoppedAnswering,
  unavailable,
} from './client-errors.js';

export * from './client-errors.js';

interface Pending {
  onMessage(msg: Record<string, unknown>): void;
  onClose(err: Error): void;
  /** Its (first) answer has not come yet: the server's silence is watched meanwhile. */
  awaiting?: boolean;
  /** An upgrade: no `hello` may follow it on the connection, so a silence is not asked about. */
  noPing?: boolean;
}

/** What an upgrade hands over: the answer, the raw socket, and bytes already read past the answer. */
export interface Upgraded<T> {
  result: T;
  socket: Socket;
  rest: Buffer;
}

export interface StreamCall<T> {
  /** The ok answer that opens the stream. */
  result: Promise<T>;
  /** Resolves at {"end":true}; rejects with RemoteError when it carries an error, ControlUnavailable on hang-up. */
  done: Promise<void>;
}


export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private closedError: Error | null = null;
  private closeWaiters: Array<() => void> = [];
  /** Set by an upgrade's ok answer: the reader stops there and hands the socket over (finishUpgrade). */
  private upgraded: { result: unknown; resolve(u: Upgraded<unknown>): void } | null = null;
  /** The silence watch: when bytes last came, when a `hello` was last asked, the timer that looks. */
  private lastHeard = 0;
  private pingedAt = 0;
  /** A hello was asked and nothing has come since. */
  private pinged = false;
  private watchTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
    readonly hello: Hello,
    private readonly timeoutMs: number,
  ) {}

  /** Connect and wait for the hello (timeoutMs for both). */
  static connect(path: string, timeoutMs = 5000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path: netAddress(path), allowHalfOpen: false });
      let client: ControlClient | null = null;
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(helloTimeout(path, timeoutMs)), timeoutMs);
      const reader = new LineReader(
        (line) => {
          if (client) {
            const msg = parseLine(line);
            if (msg) client.route(msg);
            return;
          }
          const hello = readHello(line, path);
          if (hello instanceof Error) return fail(hello);
          settled = true;
          clearTimeout(timer);
          client = new ControlClient(socket, path, hello, timeoutMs);
          resolve(client);
        },
        () => {
          const err = answerTooLarge(path);
          if (client) client.hangUp(err);
          else fail(err);
        },
        MAX_ANSWER_BYTES,
      );
      const onData = (d: Buffer): void => {
        if (client) {
          client.lastHeard = Date.now();
          client.pinged = false;
        }
        const rest = reader.push(d, () => client?.upgraded != null);
        if (client?.upgraded) client.finishUpgrade(onData, rest ?? Buffer.alloc(0));
      };
      socket.on('data', onData);
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (!client) fail(unavailable(path, err));
      });
      socket.on('close', () => {
        if (!client) return fail(closedBeforeHello(path));
        client.hangUp(closedAfterHello(path));
      });
    });
  }

  private route(msg: Record<string, unknown>): void {
    const id = (msg.id ?? null) as RequestId;
    const p = this.pending.get(id);
    if (p) p.onMessage(msg);
  }

  /** Is an answer awaited (and may a silence be asked about)? */
  private awaited(): { any: boolean; mayPing: boolean } {
    let any = this.closeWaiters.length > 0;
    let mayPing = true;
    for (const p of this.pending.values()) {
      if (!p.awaiting) continue;
      any = true;
      if (p.noPing) mayPing = false;
    }
    return { any, mayPing };
  }

  /** Start watching the silence when an answer becomes awaited (a no-op while the watch runs). */
  private watch(): void {
    if (this.closedError || this.watchTimer !== null) return;
    this.lastHeard = Date.now();
    this.pinged = false;
    this.lookAgainIn(silenceMs(this.timeoutMs));
  }

  private lookAgainIn(ms: number): void {
    this.watchTimer = setTimeout(() => this.look(), ms);
    this.watchTimer.unref(); // the socket keeps the process up while an answer is awaited
  }

  private look(): void {
    this.watchTimer = null;
    if (this.closedError) return;
    const { any, mayPing } = this.awaited();
    if (!any) return;
    const now = Date.now();
    const pinged = this.pinged;
    const due = pinged ? this.pingedAt + this.timeoutMs : this.lastHeard + silenceMs(this.timeoutMs);
    if (now < due) return this.lookAgainIn(due - now);
    if (!pinged) {
      // answered at once by a live procinit, beside whatever it is working on
      if (mayPing) {
        this.pending.set(PING_ID, { onMessage: () => this.pending.delete(PING_ID), onClose: () => {} });
        this.socket.write(encode({ v: PROTOCOL_VERSION, id: PING_ID, cmd: 'hello', args: {} }));
      }
      this.pingedAt = now;
      this.pinged = true;
      return this.lookAgainIn(this.timeoutMs);
    }
    this.hangUp(stoppedAnswering(this.path, this.timeoutMs));
  }

  private hangUp(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    if (this.watchTimer !== null) clearTimeout(this.watchTimer);
    this.watchTimer = null;
    this.socket.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.onClose(err);
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when procinit closes the connection (the run ended, for `shutdown`). */
  whenClosed(): Promise<void> {
    if (this.closedError) return Promise.resolve();
    return new Promise((r) => {
      this.closeWaiters.push(r);
      this.watch();
    });
  }

  private send(cmd: string, args: object, pending: Pending): RequestId {
    const id = this.nextId++;
    if (this.closedError) {
      pending.onClose(this.closedError);
      return id;
    }
    this.pending.set(id, pending);
    this.socket.write(encode({ v: PROTOCOL_VERSION, id, cmd, args }));
    if (pending.awaiting) this.watch();
    return id;
  }

  /** One request, one answer: an error answer rejects; an ok one goes to onOk as it arrives. */
  private ask<R>(cmd: string, args: object, onOk: (result: unknown, resolve: (r: R) => void) => void, noPing = false): Promise<R> {
    return new Promise((resolve, reject) => {
      const id = this.send(cmd, args, {
        awaiting: true,
        noPing,
        onMessage: (msg) => {
          this.pending.delete(id);
          const err = remoteError(msg);
          if (err) reject(err);
          else onOk(msg.result, resolve);
        },
        onClose: reject,
      });
    });
  }

  /** One request, one answer: the result, or a RemoteError. */
  request<T>(cmd: string, args: object = {}): Promise<T> {
    return this.ask<T>(cmd, args, (result, resolve) => resolve(result as T));
  }

  /**
   * A streaming request (logs): the opening result, then events until end. onOpen and onEvent are called
   * synchronously as the messages arrive, so the opening result is seen before the first event.
   */
  stream<T, E>(cmd: string, args: object, handlers: { onOpen?: (result: T) => void; onEvent: (e: E) => void }): StreamCall<T> {
    const onEvent = handlers.onEvent;
    let resolveResult!: (r: T) => void;
    let rejectResult!: (e: Error) => void;
    let resolveDone!: () => void;
    let rejectDone!: (e: Error) => void;
    const result = new Promise<T>((res, rej) => {
      resolveResult = res;
      rejectResult = rej;
    });
    const done = new Promise<void>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    result.catch(() => {});
    done.catch(() => {});
    let opened = false;
    const entry: Pending = {
      awaiting: true,
      onMessage: (msg) => {
        if (!opened) {
          opened = true;
          entry.awaiting = false;
          const err = remoteError(msg);
          if (err) {
            this.pending.delete(id);
            rejectResult(err);
            rejectDone(err);
            return;
          }
          handlers.onOpen?.(msg.result as T);
          resolveResult(msg.result as T);
          if (!msg.stream) {
            this.pending.delete(id);
            resolveDone();
          }
          return;
        }
        if ('event' in msg) {
          onEvent(msg.event as E);
          return;
        }
        if (msg.end) {
          this.pending.delete(id);
          const err = remoteError(msg);
          if (err) rejectDone(err);
          else resolveDone();
        }
      },
      onClose: (err) => {
        rejectResult(err);
        rejectDone(err);
      },
    };
    const id = this.send(cmd, args, entry);
    return { result, done };
  }

  /**
   * A request whose ok answer switches the connection to another protocol (attach: binary frames).
   * Resolves with the answer, the socket (paused, no longer read here) and the bytes that came after the
   * answer; rejects with a RemoteError. The client is done with the socket from then on.
   */
  upgrade<T>(cmd: string, args: object = {}): Promise<Upgraded<T>> {
    // the reader stops after this answer's line; finishUpgrade resolves with what followed it
    return this.ask<Upgraded<T>>(
      cmd,
      args,
      (result, resolve) => {
        this.upgraded = { result, resolve: resolve as (u: Upgraded<unknown>) => void };
      },
      true,
    );
  }

  private finishUpgrade(onData: (d: Buffer) => void, rest: Buffer): void {
    const { result, resolve } = this.upgraded!;
    this.socket.off('data', onData);
    this.socket.pause();
    this.closedError = new ControlUnavailable('the connection was handed over');
    resolve({ result, socket: this.socket, rest });
  }

  /** Stop reading answers (the reader's own output is congested); procinit then waits or drops the stream. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.hangUp(new ControlUnavailable('closed'));
  }
}
