/**
 * A process log file with supervisord's rotation: when a write would pass maxBytes, file -> file.1 ->
 * file.2 ... up to `backups` (0 backups: truncate). maxBytes 0 means never rotate.
 * Writes are synchronous: local files are fast and the order of lines is kept.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export class RotatingLogFile {
  private fd: number;
  private size: number;

  constructor(
    readonly path: string,
    readonly maxBytes: number,
    readonly backups: number,
  ) {
    this.fd = openSync(path, 'a', 0o644);
    this.size = fstatSync(this.fd).size;
  }

  write(buf: Buffer): void {
    if (this.maxBytes > 0 && this.size + buf.length > this.maxBytes && this.size > 0) this.rotate();
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    this.size += buf.length;
  }

  /** Write whole lines (each ending in \n), rotating between lines so no file grows past maxBytes
   *  unless one line alone is longer. */
  writeLines(lines: readonly Buffer[]): void {
    if (this.maxBytes <= 0) return this.write(Buffer.concat(lines));
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const line of lines) {
      if (this.size + batchBytes + line.length > this.maxBytes && this.size + batchBytes > 0) {
        if (batch.length > 0) this.write(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
        if (this.size > 0) this.rotate();
      }
      batch.push(line);
      batchBytes += line.length;
    }
    if (batch.length > 0) this.write(Buffer.concat(batch));
  }

  private rotate(): void {
    closeSync(this.fd);
    if (this.backups > 0) {
      const last = `${this.path}.${this.backups}`;
      if (existsSync(last)) rmSync(last, { force: true });
      for (let i = this.backups - 1; i >= 1; i--) {
        const from = `${this.path}.${i}`;
        if (existsSync(from)) renameSync(from, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
      this.fd = openSync(this.path, 'a', 0o644);
    } else {
      this.fd = openSync(this.path, 'w', 0o644);
    }
    this.size = 0;
  }

  /** Open the path again (SIGUSR2 after an outside rotation moved the file away), appending. */
  reopen(): void {
    const fd = openSync(this.path, 'a', 0o644);
    this.close();
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
