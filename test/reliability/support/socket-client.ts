/**
 * A bare client of procinit's control socket (newline-delimited JSON, docs/protocol.md), written against the
 * wire format rather than src/control/client.ts so that the soaks test the server as any client sees it.
 */
import { connect, type Socket } from 'node:net';

export interface Message {
  id?: unknown;
  ok?: boolean;
  error?: { code: string; message: string };
  result?: unknown;
  event?: unknown;
  end?: boolean;
  hello?: string;
  [k: string]: unknown;
}

export class RawClient {
  readonly messages: Message[] = [];
  private buf = '';
  private waiters: Array<{ test: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  private eventWaiters: Array<{ count: number; resolve: () => void }> = [];
  readonly closed: Promise<void>;
  events = 0;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  static open(path: string, timeoutMs = 10_000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect ${path}: timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(new RawClient(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const m = JSON.parse(line) as Message;
      if (m.event !== undefined) {
        this.events++; // streams: counted, not kept (a follow can be long)
        this.eventWaiters = this.eventWaiters.filter((w) => {
          if (this.events < w.count) return true;
          w.resolve();
          return false;
        });
      } else {
        this.messages.push(m);
      }
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(m)) return true;
        w.resolve(m);
        return false;
      });
    }
  }

  /** Resolves once `count` stream events have arrived in all. */
  waitEvents(count: number, timeoutMs = 20_000): Promise<void> {
    if (this.events >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${this.events} of ${count} events within ${timeoutMs} ms`)), timeoutMs);
      this.eventWaiters.push({
        count,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }

  send(obj: object): void {
    this.socket.write(JSON.stringify(obj) + '\n');
  }

  /** The first message (already received or coming) that passes test; `from`: ignore the first `from` messages. */
  waitFor(test: (m: Message) => boolean, timeoutMs = 20_000, from = 0): Promise<Message> {
    const have = this.messages.slice(from).find(test);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 500)}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      });
    });
  }

  /** Send a request and wait for its answer (the first non-event message with its id). */
  async request(id: number | string, cmd: string, args: object = {}, timeoutMs = 20_000): Promise<Message> {
    this.send({ v: 1, id, cmd, args });
    return this.waitFor((m) => m.id === id && m.event === undefined && m.end === undefined, timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
