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
const EMPTY = Buffer.alloc(0);
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
  private buffer: Buffer = EMPTY;
  private result: Buffer = EMPTY;
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
    // read in place through an offset (the chunk may be a view of a shared read buffer, and a subarray per
    // token cost more than the rest of the protocol); only what waits for more bytes is copied
    const buf = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    this.buffer = EMPTY;
    const at = this.handle(buf);
    if (at < buf.length) this.buffer = Buffer.from(buf.subarray(at));
  }

  /** Handles what it can of data; returns where what waits for more bytes begins (data.length: nothing). */
  private handle(data: Buffer): number {
    const end = data.length;
    let at = 0;
    for (;;) {
      if (at >= end) return end;
      if (this.state === 'UNKNOWN') return end;
      if (this.state === 'ACKNOWLEDGED') {
        if (end - at < READY_TOKEN.length) return at;
        if (startsWith(data, at, READY_TOKEN)) {
          this.change('READY');
          at += READY_TOKEN.length;
        } else {
          this.change('UNKNOWN');
          return end;
        }
        continue;
      }
      if (this.state === 'READY') {
        // spurious data: supervisord is strict about it
        this.change('UNKNOWN');
        return end;
      }
      // BUSY
      if (this.resultLen === null) {
        const pos = data.indexOf(0x0a, at);
        if (pos === -1) {
          if (end - at > MAX_PENDING) {
            this.overflow();
            return end;
          }
          return at;
        }
        const n = resultLength(data, at + RESULT_TOKEN_START_LEN, pos);
        if (n === null || n < 0 || n > MAX_PENDING) {
          if (n !== null && n > MAX_PENDING) this.overflow();
          else {
            this.change('UNKNOWN');
            this.hooks.onBadResultLine(Buffer.from(data.subarray(at, pos)));
          }
          return end;
        }
        this.resultLen = n;
        at = pos + 1;
      } else {
        const needed = this.resultLen - this.result.length;
        if (needed) {
          const take = Math.min(needed, end - at);
          const part = data.subarray(at, at + take);
          this.result = this.result.length === 0 ? Buffer.from(part) : Buffer.concat([this.result, part]);
          at += take;
        }
        if (this.result.length === this.resultLen) {
          const result = this.result;
          this.result = EMPTY;
          this.resultLen = null;
          this.hooks.onResult(result);
        }
      }
      // supervisord goes on only while bytes are left (a `RESULT 0\n` alone waits for more): the loop's test
    }
  }

  private overflow(): void {
    this.buffer = EMPTY;
    this.result = EMPTY;
    this.resultLen = null;
    this.change('UNKNOWN');
    this.hooks.onOverflow();
  }
}

function startsWith(data: Buffer, at: number, token: Buffer): boolean {
  for (let i = 0; i < token.length; i++) if (data[at + i] !== token[i]) return false;
  return true;
}

/** The length in a result line (`RESULT <n>`, from..to): plain digits read in place, anything else as Python's int(). */
function resultLength(data: Buffer, from: number, to: number): number | null {
  if (from < to && to - from <= 9) {
    let n = 0;
    let i = from;
    for (; i < to; i++) {
      const c = data[i];
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
    }
    if (i === to) return n;
  }
  return pyInt(data.subarray(Math.min(from, to), to));
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
