/**
 * The one writer that owns an output fd (procinit's stdout). Never blocks the event loop: writes go out
 * through the thread pool one batch at a time, and everything that arrives meanwhile is gathered into the
 * next batch. When more than highWater bytes wait, `congested` turns true and 'congested' is emitted; the
 * readers pause (so the pipes block the children) until 'drain'. Memory stays bounded; nothing is dropped.
 */
import { EventEmitter } from 'node:events';
import { writev } from 'node:fs';

export class FdWriter extends EventEmitter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writing = false;
  private corked = false;
  private broken = false;
  private flushWaiters: Array<() => void> = [];
  congested = false;
  /** Bytes written so far (for status / tests). */
  written = 0;

  constructor(
    readonly fd: number,
    private readonly highWater = 1024 * 1024,
  ) {
    super();
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  write(buf: Buffer): void {
    if (this.broken || buf.length === 0) return;
    this.queue.push(buf);
    this.queuedBytes += buf.length;
    if (!this.congested && this.queuedBytes > this.highWater) {
      this.congested = true;
      this.emit('congested');
    }
    if (!this.writing && !this.corked) this.kick();
  }

  /** Hold writes in the queue until uncork() (procinit's start-up lines, while the programs are spawned). */
  cork(): void {
    this.corked = true;
  }

  /** Write what was held, as one batch. */
  uncork(): void {
    this.corked = false;
    if (!this.writing && this.queue.length > 0) this.kick();
  }

  /** Resolves once everything queued so far is written (or the fd broke); a corked queue waits for uncork(). */
  flush(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  private kick(): void {
    const batch = this.queue;
    this.queue = [];
    this.writing = true;
    this.writeAll(batch, 0);
  }

  private writeAll(batch: Buffer[], retries: number): void {
    writev(this.fd, batch, (err, n) => {
      if (err) {
        if (err.code === 'EAGAIN') {
          // A full non-blocking pipe: the reader is slow or stopped, not gone (that is EPIPE). Wait for it as
          // long as it takes: the queue is bounded and the programs block meanwhile (back-pressure), while
          // giving up here would drop every line from now on.
          setTimeout(() => this.writeAll(batch, retries + 1), Math.min(5 * (retries + 1), 50));
          return;
        }
        // EPIPE and friends: the reader is gone; drop output from now on rather than crash.
        this.broken = true;
        this.queue = [];
        this.queuedBytes = 0;
        this.emit('broken', err);
        this.done();
        return;
      }
      this.written += n;
      this.queuedBytes -= n;
      const rest = dropBytes(batch, n);
      if (rest.length > 0) return this.writeAll(rest, 0);
      this.done();
    });
  }

  private done(): void {
    this.writing = false;
    if (this.queue.length > 0 && !this.corked) return this.kick();
    if (this.congested) {
      this.congested = false;
      this.emit('drain');
    }
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w();
  }
}

/** The buffers left after the first n bytes were written. */
function dropBytes(batch: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < batch.length && n >= batch[i].length) n -= batch[i++].length;
  if (i >= batch.length) return [];
  const rest = batch.slice(i);
  if (n > 0) rest[0] = rest[0].subarray(n);
  return rest;
}
