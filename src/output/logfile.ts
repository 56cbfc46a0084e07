/**
 * A process log file with supervisord's rotation: when a write would pass maxBytes, file -> file.1 ->
 * file.2 ... up to `backups` (0 backups: truncate). maxBytes 0 means never rotate.
 * Writes are synchronous: local files are fast and the order of lines is kept.
 *
 * Faults are values (a full disk, a missing directory, EIO from /proc/version, a FIFO nobody reads): no
 * fs error ever leaves this class. A write that fails returns what was not written, so that the caller
 * can send it elsewhere; the first failure is reported once through onFault, and the file is tried again
 * (reopened) at most once per RETRY_MS, while whatever arrives meanwhile is handed back without a system
 * call. When a retry works, onRecover says how much went elsewhere in between.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** How often a failing log file is tried again. */
export const RETRY_MS = 1000;

export interface LogFileEvents {
  /** The file stopped working (reported once per outage): `what` is the errno code and its meaning. */
  onFault?(path: string, what: string): void;
  /** It works again; `missed` lines (and bytes) were handed back meanwhile. */
  onRecover?(path: string, missed: { lines: number; bytes: number }): void;
}

/** O_NONBLOCK: opening a FIFO without a reader fails (ENXIO) instead of blocking PID 1 for ever. */
const APPEND = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NONBLOCK | constants.O_NOCTTY;
const TRUNCATE = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK | constants.O_NOCTTY;

const MEANING: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENXIO: 'a FIFO or device with no reader',
  EAGAIN: 'would block (a FIFO or device that is not read)',
  EFBIG: 'file too large',
};

export function describeFault(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (!code) return String((err as Error)?.message ?? err);
  return MEANING[code] ? `${code} (${MEANING[code]})` : code;
}

export class RotatingLogFile {
  private fd = -1;
  private size = 0;
  /**
   * Only a regular file is rotated: renaming /dev/null (stdout_logfile=/dev/null with maxbytes) would move
   * the device node away and leave a regular file in its place, for every process on the machine.
   */
  private regular = false;
  /** Since when the file fails (ms, from now()), or null while it works. */
  private failingSince: number | null = null;
  private lastTry = 0;
  private missed = { lines: 0, bytes: 0 };
  /** Outages so far (each reported once). */
  faults = 0;

  constructor(
    readonly path: string,
    readonly maxBytes: number,
    readonly backups: number,
    private readonly events: LogFileEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    this.attempt(() => this.open(APPEND));
  }

  /** Is the file failing now (its writes are handed back)? */
  get failing(): boolean {
    return this.failingSince !== null;
  }

  /** Write bytes; true when they are in the file, false when they were handed back (the file fails). */
  write(buf: Buffer): boolean {
    return this.writeLines([buf]).length === 0;
  }

  /**
   * Write whole lines (each ending in \n), rotating between lines so no file grows past maxBytes unless one
   * line alone is longer. Returns the lines that did not reach the file (empty when all did); a line cut
   * short by the failure is among them.
   */
  writeLines(lines: readonly Buffer[]): readonly Buffer[] {
    if (lines.length === 0) return lines;
    if (!this.ready()) return this.handBack(lines, 0);
    let done = 0;
    const ok = this.attempt(() => {
      if (this.maxBytes <= 0 || !this.regular) {
        this.put(Buffer.concat(lines));
        done = lines.length;
        return;
      }
      let batchStart = done;
      let batchBytes = 0;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (this.size + batchBytes + line.length > this.maxBytes && this.size + batchBytes > 0) {
          if (i > batchStart) this.put(Buffer.concat(lines.slice(batchStart, i)));
          done = i;
          batchStart = i;
          batchBytes = 0;
          if (this.size > 0) this.rotate();
        }
        batchBytes += line.length;
      }
      if (lines.length > batchStart) this.put(Buffer.concat(lines.slice(batchStart)));
      done = lines.length;
    });
    if (!ok) return this.handBack(lines, done);
    this.recovered();
    return [];
  }

  /** Open (again) when failing and a retry is due; false while the file cannot take writes. */
  private ready(): boolean {
    if (this.fd >= 0) return true;
    const now = this.now();
    if (this.failingSince !== null && now - this.lastTry < RETRY_MS) return false;
    this.lastTry = now;
    return this.attempt(() => this.open(APPEND));
  }

  /** A write went through: an outage, if any, is over (an open alone proves nothing: /dev/full opens). */
  private recovered(): void {
    if (this.failingSince === null) return;
    const missed = this.missed;
    this.failingSince = null;
    this.missed = { lines: 0, bytes: 0 };
    this.events.onRecover?.(this.path, missed);
  }

  private handBack(lines: readonly Buffer[], from: number): readonly Buffer[] {
    const rest = from === 0 ? lines : lines.slice(from);
    this.missed.lines += rest.length;
    for (const l of rest) this.missed.bytes += l.length;
    return rest;
  }

  /** Run fs work; a throw becomes the failing state (reported once per outage) and false. */
  private attempt(work: () => void): boolean {
    try {
      work();
      return true;
    } catch (err) {
      this.closeFd();
      const first = this.failingSince === null;
      this.failingSince ??= this.now();
      this.lastTry = this.now();
      if (first) {
        this.faults++;
        this.events.onFault?.(this.path, describeFault(err));
      }
      return false;
    }
  }

  private open(flags: number): void {
    this.closeFd();
    this.fd = openSync(this.path, flags, 0o644);
    const st = fstatSync(this.fd);
    this.regular = st.isFile();
    this.size = st.size;
  }

  private put(buf: Buffer): void {
    let off = 0;
    // a short write is retried; one that fails throws, and what is left is handed back
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    this.size += buf.length;
  }

  private rotate(): void {
    if (!this.regular) return;
    this.closeFd();
    if (this.backups > 0) {
      const last = `${this.path}.${this.backups}`;
      if (existsSync(last)) rmSync(last, { force: true });
      for (let i = this.backups - 1; i >= 1; i--) {
        const from = `${this.path}.${i}`;
        if (existsSync(from)) renameSync(from, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
      this.open(APPEND);
    } else {
      this.open(TRUNCATE);
    }
    this.size = 0;
  }

  /**
   * Open the path again (SIGUSR2 after an outside rotation moved the file away), appending. A failure is a
   * fault like any other: reported once, retried with the next writes.
   */
  reopen(): void {
    this.attempt(() => this.open(APPEND));
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      /* EIO on close: the descriptor is gone either way */
    }
    this.fd = -1;
  }

  close(): void {
    this.closeFd();
  }
}
