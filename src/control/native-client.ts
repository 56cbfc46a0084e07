/**
 * One request and its answer over the control socket with procinit's addon (native/ctl.c), blocking, for
 * the one-shot verbs (`procinit status` in a HEALTHCHECK runs every few seconds): the client then does not
 * load Node's net module and its streams (about 4 ms of a 40 ms call). The exchange is the one
 * ControlClient does, with the same messages for every failure: the hello within the same timeout, a
 * line bounded by MAX_ANSWER_BYTES, lines for other ids ignored; after the hello the answer is waited for
 * as long as the server shows it is alive, as there: after a silence it is asked `hello` (silenceMs in
 * client-errors.ts), and nothing at all within the timeout after that ends the call.
 *
 * NativeControl.connect returns null when the addon cannot load or connect(2) fails: the caller then takes
 * ControlClient (net), which words a connect failure as always.
 */
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';
import {
  answerTooLarge,
  closedAfterHello,
  closedBeforeHello,
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
import { encode, LineReader, PROTOCOL_VERSION, type Hello } from './protocol.js';

export interface CtlAddon {
  ctlConnect(path: string): number;
  /** A Buffer, null at end of file, false when timeoutMs (-1: none) passed. Throws with the errno name. */
  ctlRead(fd: number, timeoutMs: number): Buffer | null | false;
  /** true once all is written, false when timeoutMs passed. Throws with the errno name (EPIPE, ...). */
  ctlWrite(fd: number, data: Buffer, timeoutMs: number): boolean;
  ctlClose(fd: number): void;
}

/** The addon's control-client calls, or null where it does not load (or is an older one without them). */
export function ctlAddon(): CtlAddon | null {
  try {
    const addon = loadAddon(PROCINIT_ADDON) as Partial<CtlAddon>;
    return typeof addon.ctlConnect === 'function' && typeof addon.ctlRead === 'function' && typeof addon.ctlWrite === 'function' && typeof addon.ctlClose === 'function'
      ? (addon as CtlAddon)
      : null;
  } catch {
    return null;
  }
}

/** What a one-shot verb needs of a connection: ControlClient and NativeControl both have it. */
export interface OneShotClient {
  readonly hello: Hello;
  request<T>(cmd: string, args?: object): Promise<T>;
  close(): void;
}

export class NativeControl implements OneShotClient {
  private lines: Buffer[] = [];
  private overflowed = false;
  private readonly reader = new LineReader(
    (line) => this.lines.push(line),
    () => {
      this.overflowed = true;
    },
    MAX_ANSWER_BYTES,
  );

  /** Set by connect once the hello has come. */
  hello!: Hello;
  /** When bytes last came from the server (Date.now()), and whether a hello was asked since. */
  private heard = 0;
  private pinged = false;

  private constructor(
    private readonly addon: CtlAddon,
    private fd: number,
    readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Connect and read the hello within timeoutMs. null: no addon, or connect(2) failed (take the net path).
   * Throws ControlUnavailable or RemoteError as ControlClient.connect rejects.
   */
  static connect(path: string, timeoutMs: number): NativeControl | null {
    const addon = ctlAddon();
    if (addon === null) return null;
    let fd: number;
    try {
      fd = addon.ctlConnect(path); // '@name': abstract, as netAddress
    } catch {
      return null;
    }
    const deadline = Date.now() + timeoutMs;
    const client = new NativeControl(addon, fd, path, timeoutMs);
    try {
      const line = client.nextLine(() => Math.max(0, deadline - Date.now()), {
        timeout: () => helloTimeout(path, timeoutMs),
        closed: () => closedBeforeHello(path),
        failed: (err) => unavailable(path, err),
      });
      const hello = readHello(line, path);
      if (hello instanceof Error) throw hello;
      client.hello = hello;
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** The next complete line; reads until one is there. */
  private nextLine(
    left: () => number,
    errors: { timeout(): Error; closed(): Error; failed(err: NodeJS.ErrnoException): Error },
  ): Buffer {
    for (;;) {
      if (this.overflowed) throw answerTooLarge(this.path);
      const line = this.lines.shift();
      if (line !== undefined) return line;
      let chunk: Buffer | null | false;
      try {
        chunk = this.addon.ctlRead(this.fd, left());
      } catch (err) {
        throw errors.failed(err as NodeJS.ErrnoException);
      }
      if (chunk === false) throw errors.timeout();
      if (chunk === null) throw errors.closed();
      this.heard = Date.now();
      this.pinged = false;
      this.reader.push(chunk);
    }
  }

  /** One request, one answer (id 1): the result, or RemoteError / ControlUnavailable as ControlClient. */
  request<T>(cmd: string, args: object = {}): Promise<T> {
    try {
      return Promise.resolve(this.requestSync<T>(cmd, args));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private requestSync<T>(cmd: string, args: object): T {
    if (this.fd < 0) throw closedAfterHello(this.path);
    const closed = (): Error => {
      this.close();
      return closedAfterHello(this.path);
    };
    const send = (id: number | string, command: string, commandArgs: object): void => {
      let written = false;
      try {
        written = this.addon.ctlWrite(this.fd, encode({ v: PROTOCOL_VERSION, id, cmd: command, args: commandArgs }), this.timeoutMs);
      } catch {
        throw closed();
      }
      if (!written) {
        // the server reads nothing: as silent as one that never answers
        this.close();
        throw stoppedAnswering(this.path, this.timeoutMs);
      }
    };
    send(1, cmd, args);
    this.heard = Date.now();
    // a silence: ask hello (answered at once, beside the request); nothing within timeoutMs of that: give up
    const silence = silenceMs(this.timeoutMs);
    let pingedAt = 0;
    this.pinged = false;
    const quiet = new Error('quiet');
    for (;;) {
      let line: Buffer;
      try {
        line = this.nextLine(() => Math.max(0, (this.pinged ? pingedAt + this.timeoutMs : this.heard + silence) - Date.now()), { timeout: () => quiet, closed, failed: closed });
      } catch (err) {
        if (err === quiet) {
          if (!this.pinged) {
            send(PING_ID, 'hello', {});
            pingedAt = Date.now();
            this.pinged = true;
            continue;
          }
          this.close();
          throw stoppedAnswering(this.path, this.timeoutMs);
        }
        if (this.overflowed) this.close();
        throw err;
      }
      const msg = parseLine(line);
      if (msg === null || (msg.id ?? null) !== 1) continue;
      const err = remoteError(msg);
      if (err) throw err;
      return msg.result as T;
    }
  }

  close(): void {
    if (this.fd >= 0) {
      this.addon.ctlClose(this.fd);
      this.fd = -1;
    }
  }
}
