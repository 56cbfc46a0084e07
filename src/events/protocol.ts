/**
 * One event listener process's side of supervisord's eventlistener protocol, ported from
 * supervisor/dispatchers.py PEventListenerDispatcher.handle_listener_state_change, quirks included:
 *
 *   listener: READY\n                       ACKNOWLEDGED -> READY
 *   procinit: <header line>\n<payload>      READY -> BUSY          (pool.ts sends it)
 *   listener: RESULT <n>\n<n bytes>         BUSY -> ACKNOWLEDGED   (OK: processed; else rejected and rebuffered)
 *
 * Anything else puts the listener in UNKNOWN, where it gets no more events until it is started again.
 * Unlike supervisord, what a listener may make procinit hold is bounded: a result line or result body
 * over MAX_PENDING bytes is a protocol violation (UNKNOWN) instead of memory that grows without end.
 */

export type ListenerState = 'ACKNOWLEDGED' | 'READY' | 'BUSY' | 'UNKNOWN';

const READY_TOKEN = Buffer.from('READY\n');
const RESULT_TOKEN_START_LEN = 'RESULT '.length;

/** The most a listener may make procinit hold for it: a pending result line or body. */
export const MAX_PENDING = 1024 * 1024;

export interface ProtocolHooks {
  /** A state change (supervisord logs `name: FROM -> TO` at debug). */
  onState(from: ListenerState, to: ListenerState): void;
  /** A complete result for the event in flight (the pool runs the result handler). */
  onResult(result: Buffer): void;
  /** The result line was not `RESULT <int>`: the event in flight is rejected. */
  onBadResultLine(line: Buffer): void;
  /** The listener gave more than MAX_PENDING bytes without completing a token. */
  onOverflow(): void;
}

export class ListenerProtocol {
  state: ListenerState = 'ACKNOWLEDGED';
  private buffer: Buffer = Buffer.alloc(0);
  private result: Buffer = Buffer.alloc(0);
  private resultLen: number | null = null;

  constructor(private readonly hooks: ProtocolHooks) {}

  change(to: ListenerState): void {
    const from = this.state;
    this.state = to;
    this.hooks.onState(from, to);
  }

  /** Bytes the listener wrote to its stdout. */
  push(data: Buffer): void {
    if (data.length === 0) return;
    // the chunk may be a view of a shared read buffer: it is read in place, and only what waits is copied
    const view = this.buffer.length === 0;
    this.buffer = view ? data : Buffer.concat([this.buffer, data]);
    this.handle();
    if (view && this.buffer.length > 0) this.buffer = Buffer.from(this.buffer);
  }

  private handle(): void {
    for (;;) {
      const data = this.buffer;
      if (data.length === 0) return;
      if (this.state === 'UNKNOWN') {
        this.buffer = Buffer.alloc(0);
        return;
      }
      if (this.state === 'ACKNOWLEDGED') {
        if (data.length < READY_TOKEN.length) return;
        if (data.subarray(0, READY_TOKEN.length).equals(READY_TOKEN)) {
          this.change('READY');
          this.buffer = data.subarray(READY_TOKEN.length);
        } else {
          this.change('UNKNOWN');
          this.buffer = Buffer.alloc(0);
        }
        continue;
      }
      if (this.state === 'READY') {
        // spurious data: supervisord is strict about it
        this.change('UNKNOWN');
        this.buffer = Buffer.alloc(0);
        return;
      }
      // BUSY
      if (this.resultLen === null) {
        const pos = data.indexOf(0x0a);
        if (pos === -1) {
          if (data.length > MAX_PENDING) this.overflow();
          return;
        }
        const line = data.subarray(0, pos);
        this.buffer = data.subarray(pos + 1);
        const n = pyInt(line.subarray(RESULT_TOKEN_START_LEN));
        if (n === null || n < 0 || n > MAX_PENDING) {
          this.buffer = Buffer.alloc(0);
          if (n !== null && n > MAX_PENDING) this.overflow();
          else {
            this.change('UNKNOWN');
            this.hooks.onBadResultLine(Buffer.from(line));
          }
          return;
        }
        this.resultLen = n;
      } else {
        let needed = this.resultLen - this.result.length;
        if (needed) {
          this.result = Buffer.concat([this.result, data.subarray(0, needed)]);
          this.buffer = data.subarray(needed);
          needed = this.resultLen - this.result.length;
        }
        if (!needed) {
          const result = this.result;
          this.result = Buffer.alloc(0);
          this.resultLen = null;
          this.hooks.onResult(result);
        }
      }
      // supervisord goes on only while bytes are left (a `RESULT 0\n` alone waits for more)
      if (this.buffer.length === 0) return;
    }
  }

  private overflow(): void {
    this.buffer = Buffer.alloc(0);
    this.result = Buffer.alloc(0);
    this.resultLen = null;
    this.change('UNKNOWN');
    this.hooks.onOverflow();
  }
}

/**
 * Python's int() of a bytes object: surrounding ASCII whitespace, an optional sign, decimal digits with
 * single underscores between them. null when Python would raise ValueError.
 */
export function pyInt(b: Buffer): number | null {
  const s = b.toString('latin1').replace(/^[ \t\n\r\x0b\x0c]+|[ \t\n\r\x0b\x0c]+$/g, '');
  if (!/^[+-]?[0-9](_?[0-9])*$/.test(s)) return null;
  const n = Number(s.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : s.startsWith('-') ? -Infinity : Infinity;
}
