/**
 * One output channel (stdout or stderr) of a program as supervisord's POutputDispatcher sees it
 * (supervisor/dispatchers.py record_output, toggle_capturemode, _log): with `*_capture_maxbytes` set, what
 * the program writes between `<!--XSUPERVISOR:BEGIN-->` and `<!--XSUPERVISOR:END-->` is kept out of its log
 * and becomes a PROCESS_COMMUNICATION event; with `*_events_enabled`, every stretch logged becomes a
 * PROCESS_LOG event (captured stretches too, as supervisord does). The tokens themselves go nowhere.
 */

export const BEGIN_TOKEN = Buffer.from('<!--XSUPERVISOR:BEGIN-->');
export const END_TOKEN = Buffer.from('<!--XSUPERVISOR:END-->');

export interface ChannelOptions {
  /** *_capture_maxbytes: 0 = no capture mode. */
  captureMaxBytes: number;
  /** *_events_enabled: PROCESS_LOG_* events. */
  eventsEnabled: boolean;
  /** A stretch of output was logged (PROCESS_LOG event when enabled). */
  onLog(data: Buffer): void;
  /** A captured message ended (PROCESS_COMMUNICATION event). */
  onCommunication(data: Buffer): void;
}

const EMPTY = Buffer.alloc(0);

/** supervisor's BoundIO: over maxbytes, as many bytes as are written are dropped from the front. */
class BoundBuffer {
  private buf: Buffer = EMPTY;
  constructor(private readonly maxBytes: number) {}
  /** b may be a view of a read buffer: it is copied. */
  write(b: Buffer): void {
    if (this.buf.length + b.length > this.maxBytes) this.buf = this.buf.subarray(b.length);
    this.buf = this.buf.length === 0 ? Buffer.from(b) : Buffer.concat([this.buf, b]);
  }
  take(): Buffer {
    const v = this.buf;
    this.buf = EMPTY;
    return v;
  }
}

export class OutputChannel {
  private pending = Buffer.alloc(0);
  private captureMode = false;
  private readonly capture: BoundBuffer | null;

  constructor(private readonly opts: ChannelOptions) {
    this.capture = opts.captureMaxBytes > 0 ? new BoundBuffer(opts.captureMaxBytes) : null;
  }

  /** Bytes read from the program; returns what goes on to the program's log (copied, or the input itself). */
  push(chunk: Buffer): Buffer {
    if (!this.capture) {
      if (this.opts.eventsEnabled && chunk.length > 0) this.opts.onLog(Buffer.from(chunk));
      return chunk;
    }
    // the chunk is read in place (it may be a view of a shared read buffer); what is kept is copied
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = EMPTY;
    const out: Buffer[] = [];
    this.record(data, out);
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /**
   * End of the pipe: what waits (a tail no longer than a token) is logged. supervisord loses it (it logs it
   * only when more output comes); procinit does not drop a program's last bytes.
   */
  flush(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    if (rest.length === 0) return rest;
    const out: Buffer[] = [];
    this.log(rest, out);
    return Buffer.concat(out);
  }

  /** supervisord's record_output over data from an offset (a subarray per token cost more than the rest). */
  private record(data: Buffer, out: Buffer[]): void {
    let at = 0;
    for (;;) {
      const token = this.captureMode ? END_TOKEN : BEGIN_TOKEN;
      if (data.length - at <= token.length) {
        if (at < data.length) this.pending = Buffer.from(data.subarray(at));
        return;
      }
      const pos = data.indexOf(token, at);
      if (pos < 0) {
        // keep < token.length < what is left, so the kept tail starts after `at`
        const keep = prefixAtEnd(data, token);
        if (keep > 0) this.pending = Buffer.from(data.subarray(data.length - keep));
        this.log(data.subarray(at, data.length - keep), out);
        return;
      }
      this.log(data.subarray(at, pos), out);
      this.toggle();
      at = pos + token.length;
      if (at === data.length) return;
    }
  }

  /** A stretch of output (a view: what is kept is copied). */
  private log(data: Buffer, out: Buffer[]): void {
    if (data.length === 0) return;
    if (this.captureMode) this.capture!.write(data);
    else out.push(Buffer.from(data));
    if (this.opts.eventsEnabled) this.opts.onLog(Buffer.from(data));
  }

  private toggle(): void {
    this.captureMode = !this.captureMode;
    if (!this.captureMode) this.opts.onCommunication(this.capture!.take());
  }
}

/** medusa's find_prefix_at_end: the length of the longest proper prefix of token that data ends with. */
export function prefixAtEnd(data: Buffer, token: Buffer): number {
  for (let l = token.length - 1; l > 0; l--) {
    if (data.length >= l && data.subarray(data.length - l).equals(token.subarray(0, l))) return l;
  }
  return 0;
}
