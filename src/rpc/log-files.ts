/**
 * Reading a log file as supervisord's readFile and tailFile do (options.py), on open/read/close of a bounded
 * length: never more than READ_LIMIT bytes per call, so a request cannot make PID 1 read a huge file into memory.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { RpcFault } from './faults.js';

export const READ_LIMIT = 16 * 1024 * 1024;

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  // O_NONBLOCK and regular files only: a FIFO at a log path would hold a libuv thread in open() for ever
  // (four such calls and every fs call of PID 1 waits)
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new RpcFault('FAILED');
    const size = st.size;
    const n = Math.max(0, Math.min(length, size - position, READ_LIMIT));
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await fh.read(buf, got, n - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** readFile(filename, offset, length): negative offset = that many bytes from the end (length must be 0). */
export async function readLogFile(path: string | null, offset: number, length: number): Promise<string> {
  if (!path || !(await exists(path))) throw new RpcFault('NO_FILE', path ?? 'None');
  if (offset < 0 && length !== 0) throw new RpcFault('BAD_ARGUMENTS');
  if (length < 0) throw new RpcFault('BAD_ARGUMENTS');
  try {
    if (offset < 0) {
      const size = (await stat(path)).size;
      const pos = Math.max(0, size - -offset);
      return (await readAt(path, pos, -offset)).toString('utf8');
    }
    return (await readAt(path, offset, length === 0 ? Number.MAX_SAFE_INTEGER : length)).toString('utf8');
  } catch (err) {
    if (err instanceof RpcFault) throw err;
    throw new RpcFault('FAILED');
  }
}

/** tailFile(filename, offset, length) -> [bytes, new offset, overflow]. */
export async function tailLogFile(path: string | null, offset: number, length: number): Promise<[string, number, boolean]> {
  if (!path) return ['', 0, false];
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return ['', offset, false];
  }
  let overflow = false;
  if (size > offset + length) {
    overflow = true;
    offset = size - 1;
  }
  if (offset + length > size) {
    if (offset > size - 1) length = 0;
    offset = size - length;
  }
  if (offset < 0) offset = 0;
  if (length < 0) length = 0;
  try {
    const data = length === 0 ? '' : (await readAt(path, offset, length)).toString('utf8');
    return [data, size, overflow];
  } catch {
    return ['', offset, false];
  }
}
