/**
 * supervisord's tail_f_producer: the last 1024 bytes of a log file, then whatever is appended, every 100 ms,
 * reopening the file when it was rotated (a new inode) and saying so when it was truncated. One timer per
 * follower, gone when the client goes; a slow client is not fed faster than it reads.
 *
 * Every fs call is in a try (faults are values), and the file is opened O_NONBLOCK and only when it is a
 * regular file: a FIFO at a log path (mkfifo by a user, or a log file replaced by one) would block PID 1 in
 * open() for ever; the follower is ended with one line saying so instead.
 */
import { closeSync, fstatSync, readSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeReadError, openRegularFile } from '../config/text-file.js';

const HEAD = 1024;
const POLL_MS = 100;
const CHUNK = 64 * 1024;

export function followFile(path: string, req: IncomingMessage, res: ServerResponse, onError: (err: unknown) => void): void {
  // procinit opens a program's log file at its first line, supervisord at spawn: a file not there yet is
  // waited for, as an empty one would be
  let fd = -1;
  let ino = 0;
  let pos = 0;
  /** A reason the file will never be followed (not a regular file), set by openNow. */
  let refused: string | null = null;
  const openNow = (head: number): boolean => {
    try {
      const { fd: opened, st } = openRegularFile(path);
      fd = opened;
      ino = st.ino;
      pos = Math.max(0, st.size - head);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTREG') refused = describeReadError(err);
      return false;
    }
  };
  openNow(HEAD);
  let mtime = new Date();
  try {
    mtime = statSync(path).mtime;
  } catch {
    /* not there yet */
  }
  res.writeHead(200, {
    'Content-Type': 'text/plain;charset=utf-8',
    'Last-Modified': mtime.toUTCString(),
    'X-Accel-Buffering': 'no',
  });
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    if (fd < 0) return;
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  };
  const buf = Buffer.alloc(CHUNK);
  const giveUp = (): boolean => {
    if (refused === null) return false;
    res.end(`==> ${path} ${refused}: not followed <==\n`);
    close();
    return true;
  };
  const tick = (): void => {
    if (closed || res.writableNeedDrain) return;
    if (fd < 0 && !openNow(0)) return void giveUp();
    try {
      let now = ino;
      try {
        now = statSync(path).ino;
      } catch {
        /* unlinked: keep reading what we have open */
      }
      if (now !== ino) {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
        fd = -1;
        if (!openNow(0)) return void giveUp();
        pos = 0;
      }
      const size = fstatSync(fd).size;
      if (size < pos) {
        pos = 0;
        res.write('==> File truncated <==\n');
      }
      while (pos < size && !res.writableNeedDrain) {
        const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
        if (n <= 0) break;
        pos += n;
        res.write(Buffer.from(buf.subarray(0, n)));
      }
    } catch (err) {
      onError(err);
      close();
      res.destroy();
    }
  };
  const timer = setInterval(tick, POLL_MS);
  timer.unref();
  tick();
  req.on('close', close);
  res.on('close', close);
}
