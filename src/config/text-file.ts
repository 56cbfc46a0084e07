/**
 * Read a config file as text: UTF-8 (refused with file:line when it is not), a leading BOM dropped, no NUL
 * byte (refused with file:line: a NUL would silently cut a command short where it meets the C world).
 * Line endings are left to each parser.
 *
 * Every config file is read through readRegularFile, which cannot block the event loop: it opens with
 * O_NONBLOCK (a FIFO with no writer would block a plain open() for ever, and with it reaping and signals)
 * and refuses whatever is not a regular file, and files larger than MAX_CONFIG_BYTES.
 */
import { close, closeSync, constants, fstat, fstatSync, open, openSync, read, readSync, type Stats } from 'node:fs';
import { ConfigError } from './errors.js';

const BOM = '\uFEFF';

/** The largest config file procinit reads (a Procfile of a million programs is about 40 MB). */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** Drop a UTF-8 byte-order mark at the start of the text, if any. */
export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(BOM.length) : text;
}

/** An fs error with its code, for the files of this module. */
class FileError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** /dev/null (character device 1:3) reads as empty, as `-e /dev/null` means. */
function isDevNull(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === ((1 << 8) | 3);
}

/** Told before and after each synchronous fs call of a load: the start's watchdog (cli/fs-watchdog.ts). */
export interface FsWatch {
  begin(what: string): void;
  end(): void;
}

let fsWatch: FsWatch | null = null;

/** Have every synchronous fs call of the config readers reported to w (null: no more). */
export function watchFsCalls(w: FsWatch | null): void {
  fsWatch = w;
}

/** call(), reported to the watch (if any) as a call about `what` (a path). */
export function watchedFsCall<T>(what: string, call: () => T): T {
  const w = fsWatch;
  if (w === null) return call();
  w.begin(what);
  try {
    return call();
  } finally {
    w.end();
  }
}

/**
 * The bytes of a regular file, read without ever blocking on what is not one. Throws an Error with
 * `code` (ENOENT, EACCES, ..., ENOTREG for a FIFO, socket, directory or device, EFBIG above maxBytes).
 */
export function readRegularFile(file: string, maxBytes = MAX_CONFIG_BYTES): Buffer {
  return watchedFsCall(file, () => readRegularFileNow(file, maxBytes));
}

function readRegularFileNow(file: string, maxBytes: number): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    let buf = bufferFor(fstatSync(fd), maxBytes);
    if (buf.length === 0) return buf;
    // the size may change while we read: read until end-of-file, never past maxBytes
    let len = 0;
    for (;;) {
      buf = roomAfter(buf, len, maxBytes);
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    return buf.subarray(0, len);
  } finally {
    closeSync(fd);
  }
}

/**
 * An fd on a regular file, opened for reading without ever blocking (O_NONBLOCK: a FIFO with no writer
 * would block a plain open() for ever). Throws an Error with `code` (ENOENT, EACCES, ..., ENOTREG for a
 * FIFO, socket, directory or device; the fd is closed then). For files read at run time (logtail).
 */
export function openRegularFile(file: string): { fd: number; st: Stats } {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileError('ENOTREG', `is ${kindOf(st)}, not a regular file`);
    return { fd, st };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** One line of text for an error reading `file` (for ConfigError's detail). */
export function describeReadError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e instanceof FileError) return e.message;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EISDIR') return 'is a directory, not a regular file';
  return `cannot read: ${e?.code ?? String(err)}`;
}

/**
 * Config files read ahead on libuv's thread pool for a load in progress (reload, SIGHUP: loadRunSliced):
 * while one is set, readTextFile answers from it and never reads itself, so that a file whose read blocks
 * (a hung NFS mount) holds a pool thread, never the event loop. A file not read ahead yet is asked for
 * with NeedFiles, and the load starts again once it has been read.
 */
let readAhead: ReadAhead | null = null;

/**
 * What a load in progress has read ahead: files' bytes (readTextFile) and the answers of the other fs calls
 * the readers make (fs-answers.ts: stat, lstat, readdir), keyed `stat:PATH` and so on. A question asked
 * without an answer yet is put in `missing` and answered with a guess for this pass (the likely answer: a
 * log folder exists, a `.env` does not); the load then fetches every missing answer at once, off the event
 * loop, and starts again only when a guess was wrong (or a file must be read first).
 */
export interface ReadAhead {
  files: Map<string, Buffer | Error>;
  answers: Map<string, unknown>;
  /** Questions of this pass without an answer, with the guess this pass went on with (fs-answers.ts). */
  missing: Map<string, unknown>;
}

export function newReadAhead(files = new Map<string, Buffer | Error>(), answers = new Map<string, unknown>()): ReadAhead {
  return { files, answers, missing: new Map() };
}

/** The read-ahead of the load in progress, or null when the readers may call fs themselves. */
export function currentReadAhead(): ReadAhead | null {
  return readAhead;
}

/** A config file whose read got no answer in time (a hung mount): refused, never skipped like a missing include. */
export class HungFileError extends ConfigError {}

/** Thrown by readTextFile (or prefetch) under a read-ahead: these files must be read first. Never a config error. */
export class NeedFiles extends Error {
  constructor(readonly files: string[]) {
    super(`read ahead first: ${files.join(', ')}`);
  }
}

/** Run fn with readTextFile answering from files (see readAhead). */
export function withReadAhead<T>(ahead: ReadAhead, fn: () => T): T {
  const previous = readAhead;
  readAhead = ahead;
  try {
    return fn();
  } finally {
    readAhead = previous;
  }
}

/** Files about to be read one after another (an [include]'s matches): under a read-ahead, all are read at once. */
export function prefetch(files: readonly string[]): void {
  if (readAhead === null) return;
  const missing = files.filter((f) => !readAhead!.files.has(f));
  if (missing.length > 0) throw new NeedFiles(missing);
}

/** A read-ahead's error for one file, as a worker thread can be sent it (structured clone keeps no Error class). */
export interface EncodedReadError {
  code: string | null;
  message: string;
  ours: boolean;
}

export function encodeReadError(err: Error): EncodedReadError {
  return { code: (err as NodeJS.ErrnoException).code ?? null, message: err.message, ours: err instanceof FileError };
}

/** The error as the read-ahead had it: readTextFile words it the same. */
export function decodeReadError(e: EncodedReadError): Error {
  if (e.ours && e.code !== null) return new FileError(e.code, e.message);
  return Object.assign(new Error(e.message), e.code === null ? {} : { code: e.code });
}

/** How long a read-ahead waits for one file before the load is refused. */
export const READ_TIMEOUT_MS = 10_000;

/** Reads given up after their timeout and still not finished, with when they started: each holds a pool thread. */
const hung = new Map<string, number>();
/** With this many hung reads no further one is started (libuv has 4 threads for every fs call). */
const MAX_HUNG = 2;

/**
 * readRegularFile on libuv's thread pool, the same checks (O_NONBLOCK open, regular files only, maxBytes),
 * given up after timeoutMs with an Error the load reports (the read itself cannot be cancelled: it keeps
 * its thread until the file system answers, and at most MAX_UNFINISHED such reads are ever left).
 */
export function readRegularFileAsync(file: string, maxBytes = MAX_CONFIG_BYTES, timeoutMs = READ_TIMEOUT_MS): Promise<Buffer> {
  return withDeadline(file, () => readWithCallbacks(file, maxBytes), timeoutMs);
}

/**
 * An fs call on libuv's thread pool about `key` (a path, or `readdir:PATH`), given up after timeoutMs with
 * an ETIMEDOUT error (isTimedOut) the load reports as a hung file system. The call itself cannot be
 * cancelled: it keeps its thread until the file system answers; while it does, the same key is refused at
 * once, and with MAX_HUNG such calls no further one is started (libuv has 4 threads for every fs call).
 */
export function withDeadline<T>(key: string, work: () => Promise<T>, timeoutMs = READ_TIMEOUT_MS): Promise<T> {
  const since = hung.get(key);
  if (since !== undefined) {
    return Promise.reject(new FileError('ETIMEDOUT', `an earlier read of it has had no answer for ${Math.round((Date.now() - since) / 1000)} s (a hung file system?)`));
  }
  if (hung.size >= MAX_HUNG) {
    return Promise.reject(new FileError('ETIMEDOUT', `not read: ${hung.size} earlier reads of config files have had no answer (a hung file system?)`));
  }
  const started = Date.now();
  // one promise and one timer per call (a reload makes thousands of these: race/finally chains cost the loop)
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      hung.set(key, started);
      reject(new FileError('ETIMEDOUT', `no answer from the file system within ${timeoutMs / 1000} s (a hung mount?)`));
    }, timeoutMs);
    timer.unref();
    const finish = (ok: boolean, value: unknown): void => {
      hung.delete(key);
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ok) resolve(value as T);
      else reject(value);
    };
    work().then(
      (v) => finish(true, v),
      (e: unknown) => finish(false, e),
    );
  });
}

/** An error of withDeadline: the file system did not answer in time. */
export function isTimedOut(err: unknown): boolean {
  return err instanceof FileError && err.code === 'ETIMEDOUT';
}

/**
 * readRegularFile's steps on the thread pool with plain callbacks (open O_NONBLOCK, fstat, read to
 * end-of-file, close): a reload reads thousands of files, and the main thread handles each step's answer
 * (fs/promises' FileHandle cost about three times as much of it).
 */
function readWithCallbacks(file: string, maxBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY, (err, fd) => {
      if (err) return reject(err);
      const done = (failure: unknown, bytes?: Buffer): void => {
        close(fd, () => (failure ? reject(failure) : resolve(bytes as Buffer)));
      };
      fstat(fd, (err2, st) => {
        if (err2) return done(err2);
        let buf: Buffer;
        try {
          buf = bufferFor(st, maxBytes);
        } catch (e) {
          return done(e);
        }
        if (buf.length === 0) return done(null, buf);
        let len = 0;
        const more = (): void => {
          try {
            buf = roomAfter(buf, len, maxBytes);
          } catch (e) {
            return done(e);
          }
          read(fd, buf, len, buf.length - len, null, (err3, n) => {
            if (err3) return done(err3);
            if (n === 0) return done(null, buf.subarray(0, len));
            len += n;
            more();
          });
        };
        more();
      });
    });
  });
}

/** The file's text without BOM; ConfigError(file, null|line, ...) when unreadable, not UTF-8 or holding NUL. */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    if (readAhead !== null) {
      const got = readAhead.files.get(file);
      if (got === undefined) throw new NeedFiles([file]);
      if (got instanceof Error) throw got;
      bytes = got;
    } else {
      bytes = readRegularFile(file);
    }
  } catch (err) {
    if (err instanceof NeedFiles) throw err;
    if (err instanceof FileError && err.code === 'ETIMEDOUT') throw new HungFileError(file, null, err.message);
    throw new ConfigError(file, null, describeReadError(err));
  }
  let text: string;
  try {
    text = stripBom(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ConfigError(file, firstBadUtf8Line(bytes), 'not valid UTF-8 text');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new ConfigError(file, lineAt(bytes, nul), 'NUL byte (\\0) in the file: a command or value would be cut short there');
  return text;
}

/** 1-based line number of byte offset `at` (lines split at LF bytes). */
function lineAt(bytes: Buffer, at: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < at; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}

/** 1-based number of the first line that is not valid UTF-8 (lines split at LF bytes). */
function firstBadUtf8Line(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end < 0 ? bytes.length : end;
    try {
      decoder.decode(bytes.subarray(start, stop));
    } catch {
      return line;
    }
    if (end < 0) return line;
    start = end + 1;
  }
}

/**
 * What both readers check on the opened file: an empty buffer for /dev/null (nothing to read), else a buffer
 * the file's size fits in; refused when it is not a regular file or is bigger than maxBytes.
 */
function bufferFor(st: Stats, maxBytes: number): Buffer {
  if (isDevNull(st)) return Buffer.alloc(0);
  if (!st.isFile()) throw new FileError('ENOTREG', `is ${kindOf(st)}, not a regular file`);
  if (st.size > maxBytes) throw new FileError('EFBIG', `is ${st.size} bytes, more than the ${maxBytes} a config file may have`);
  return Buffer.allocUnsafe(Math.max(st.size, 4096));
}

/** Room to read more after len bytes: buf, or a copy twice its size (at most maxBytes + 1); EFBIG past maxBytes. */
function roomAfter(buf: Buffer, len: number, maxBytes: number): Buffer {
  if (len > maxBytes) throw new FileError('EFBIG', `grew past the ${maxBytes} bytes a config file may have`);
  if (len < buf.length) return buf;
  const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxBytes + 1));
  buf.copy(bigger, 0, 0, len);
  return bigger;
}
