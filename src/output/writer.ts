/**
 * The one writer that owns an output fd (procinit's stdout). Never blocks the event loop: writes go out
 * through the thread pool one batch at a time, and everything that arrives meanwhile is gathered into the
 * next batch (a regular file, which never makes a writer wait for a reader, is written at once instead). When more than highWater bytes wait, `congested` turns true and 'congested' is emitted; the
 * readers pause (so the pipes block the children) until 'drain'. Memory stays bounded; nothing is dropped.
 *
 * Formatted output is written straight into the writer's own slabs (writeWith), which are reused once
 * their bytes are out: streaming leaves no garbage buffers behind, so memory stays flat under load
 * instead of waiting for the garbage collector to notice big external buffers.
 */
import { EventEmitter } from 'node:events';
import { fstatSync, writev, writevSync } from 'node:fs';

const SLAB_BYTES = 256 * 1024;
/** Write errors that may pass (space freed, a terminal back): the batch is dropped, the writer goes on. */
const TRANSIENT = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EIO']);
/** Free slabs kept for reuse; more than this are left to the garbage collector. */
const SPARE_SLABS = 8;

/** A big buffer that formatted output is appended to; `unwritten` counts bytes queued or in flight. */
interface Slab {
  buf: Buffer;
  unwritten: number;
}

interface Piece {
  view: Buffer;
  slab: Slab | null;
}

/**
 * Fill buf from off on; return the number of bytes written, or minus the number needed when buf has too
 * little room after off (and then write nothing).
 */
export type Fill = (buf: Buffer, off: number) => number;

export class FdWriter extends EventEmitter {
  private queue: Piece[] = [];
  private queuedBytes = 0;
  private writing = false;
  private corked = false;
  private broken = false;
  private flushWaiters: Array<() => void> = [];
  /** The slab being filled: bytes [start, fill) are not in the queue yet. */
  private slab: Slab | null = null;
  private start = 0;
  private fill = 0;
  private readonly spare: Slab[] = [];
  congested = false;
  /** Bytes written so far (for status / tests). */
  written = 0;
  /** Bytes lost to transient write errors (ENOSPC, EDQUOT, EFBIG, EIO); 'fault' / 'recover' frame each outage. */
  droppedBytes = 0;
  private faulty = false;
  /** Whether fd is a regular file (see toFile), once looked at. */
  private regularFile: boolean | null = null;

  constructor(
    readonly fd: number,
    private readonly highWater = 4 * 1024 * 1024,
  ) {
    super();
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  write(buf: Buffer): void {
    if (this.broken || buf.length === 0) return;
    this.seal();
    this.queue.push({ view: buf, slab: null });
    this.queued(buf.length);
  }

  /** Append bytes made by fill (see Fill) without allocating a buffer for them. */
  writeWith(fill: Fill): void {
    if (this.broken) return;
    let slab = this.slab ?? this.takeSlab(0);
    let n = fill(slab.buf, this.fill);
    if (n < 0) {
      this.seal();
      this.retire();
      slab = this.takeSlab(-n);
      n = fill(slab.buf, 0);
      if (n < 0) throw new RangeError(`writeWith: fill needs ${-n} bytes after being given ${-n} or more`);
    }
    this.fill += n;
    slab.unwritten += n;
    this.queued(n);
  }

  /**
   * Bytes from a buffer that is reused once this returns (native/pump.c's). When nothing waits, tryWrite may
   * write them at once, synchronously (it returns the bytes it wrote, or a negative number when it must not
   * or could not: a descriptor that could block the event loop, an error the queue then meets and handles);
   * what is left is copied into the slabs and queued.
   */
  writeCopy(views: readonly Buffer[], tryWrite?: () => number): void {
    if (this.broken || views.length === 0) return;
    let skip = 0;
    if (tryWrite && !this.writing && !this.corked && !this.faulty && this.queue.length === 0 && this.fill === this.start) {
      const n = tryWrite();
      if (n > 0) {
        this.written += n;
        skip = n;
      }
    }
    for (const view of views) {
      if (skip >= view.length) {
        skip -= view.length;
        continue;
      }
      const bytes = skip > 0 ? view.subarray(skip) : view;
      skip = 0;
      this.writeWith((buf, off) => (buf.length - off < bytes.length ? -bytes.length : bytes.copy(buf, off)));
    }
  }

  /** Resolves once everything queued so far is written (or the fd broke); a corked queue waits for uncork(). */
  flush(): Promise<void> {
    if (!this.writing && this.queue.length === 0 && this.fill === this.start) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  private queued(n: number): void {
    this.queuedBytes += n;
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
    if (!this.writing && (this.queue.length > 0 || this.fill > this.start)) this.kick();
  }

  /** Move the slab's filled bytes into the queue, keeping order with buffers written after them. */
  private seal(): void {
    if (!this.slab || this.fill === this.start) return;
    this.queue.push({ view: this.slab.buf.subarray(this.start, this.fill), slab: this.slab });
    this.start = this.fill;
  }

  /** Stop filling the current slab; it goes back to the spares once its bytes are out. */
  private retire(): void {
    const s = this.slab;
    this.slab = null;
    this.start = this.fill = 0;
    if (s && s.unwritten === 0) this.release(s);
  }

  private takeSlab(atLeast: number): Slab {
    const s = atLeast <= SLAB_BYTES && this.spare.length > 0 ? this.spare.pop()! : { buf: Buffer.allocUnsafe(Math.max(SLAB_BYTES, atLeast)), unwritten: 0 };
    this.slab = s;
    this.start = this.fill = 0;
    return s;
  }

  private release(s: Slab): void {
    if (s.buf.length === SLAB_BYTES && this.spare.length < SPARE_SLABS) this.spare.push(s);
  }

  /** The bytes of these pieces are out (or dropped): their slabs may be reused. */
  private settle(pieces: readonly Piece[]): void {
    for (const p of pieces) {
      const s = p.slab;
      if (!s) continue;
      s.unwritten -= p.view.length;
      if (s.unwritten > 0) continue;
      if (s === this.slab) {
        // nothing of it waits: fill it again from the start
        if (this.fill === this.start) this.start = this.fill = 0;
      } else this.release(s);
    }
  }

  private kick(): void {
    this.seal();
    const batch = this.queue;
    this.queue = [];
    this.writing = true;
    this.writeAll(batch, batch.map((p) => p.view), 0);
  }

  /**
   * A regular file takes every write at once (no reader to wait for): its writes are made synchronously,
   * which keeps the writer idle between batches, so that native/pump.c may write to it directly (pump.ts).
   * Anything else (a pipe, a terminal, a socket, /dev/null) is written through the thread pool.
   */
  private get toFile(): boolean {
    if (this.regularFile === null) {
      try {
        this.regularFile = fstatSync(this.fd).isFile();
      } catch {
        this.regularFile = false;
      }
    }
    return this.regularFile;
  }

  private writeAll(batch: Piece[], views: Buffer[], retries: number): void {
    if (this.toFile) {
      let n = 0;
      let error: NodeJS.ErrnoException | null = null;
      try {
        n = writevSync(this.fd, views);
      } catch (err) {
        error = err as NodeJS.ErrnoException;
      }
      return this.afterWrite(batch, views, retries, error, n);
    }
    writev(this.fd, views, (err, n) => this.afterWrite(batch, views, retries, err, n));
  }

  /** After a write of views: the rest, the next batch, or what an error means. */
  private afterWrite(batch: Piece[], views: Buffer[], retries: number, err: NodeJS.ErrnoException | null, n: number): void {
    if (err) {
      if (err.code === 'EAGAIN') {
        // A full non-blocking pipe: the reader is slow or stopped, not gone (that is EPIPE). Wait for it as
        // long as it takes: the queue is bounded and the programs block meanwhile (back-pressure), while
        // giving up here would drop every line from now on.
        setTimeout(() => this.writeAll(batch, views, retries + 1), Math.min(5 * (retries + 1), 50));
        return;
      }
      if (TRANSIENT.has(err.code ?? '')) {
        // a full disk (stdout redirected to a file), a terminal's EIO: this batch is lost, counted and
        // reported once per outage; the next batch tries again, so output resumes when space is freed
        const lost = views.reduce((n, v) => n + v.length, 0);
        this.droppedBytes += lost;
        this.queuedBytes -= lost;
        if (!this.faulty) {
          this.faulty = true;
          this.emit('fault', err);
        }
        this.settle(batch);
        this.done();
        return;
      }
      // EPIPE and friends: the reader is gone; drop output from now on rather than crash.
      this.broken = true;
      this.settle(batch);
      this.seal();
      this.settle(this.queue);
      this.queue = [];
      this.queuedBytes = 0;
      this.emit('broken', err);
      this.done();
      return;
    }
    this.written += n;
    this.queuedBytes -= n;
    if (this.faulty) {
      this.faulty = false;
      this.emit('recover', this.droppedBytes);
    }
    const rest = dropBytes(views, n);
    if (rest.length > 0) return this.writeAll(batch, rest, 0);
    this.settle(batch);
    this.done();
  }

  private done(): void {
    this.writing = false;
    if ((this.queue.length > 0 || this.fill > this.start) && !this.corked) return this.kick();
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
