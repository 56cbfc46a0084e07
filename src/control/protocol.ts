/**
 * The control protocol, shared by the server (server.ts) and the client (client.ts); docs/protocol.md
 * describes it for people who talk to the socket themselves.
 *
 * Newline-delimited JSON over a Unix stream socket:
 * - on connect the server sends a hello: {"hello":"procinit","v":1,"version":"0.1.0","pid":1}
 * - a request:  {"v":1,"id":7,"cmd":"status","args":{...}}   (v defaults to 1, id to null, args to {})
 * - an answer:  {"id":7,"ok":true,"result":{...}}  or  {"id":7,"error":{"code":"...","message":"..."}}
 * - a stream (logs): {"id":7,"ok":true,"stream":true,"result":{...}}, then {"id":7,"event":{...}} ...,
 *   then {"id":7,"end":true} (with "error" when the stream ended abnormally).
 * Lines are capped at MAX_LINE_BYTES; a longer one is answered with `too_large` and the connection closed.
 *
 * After an accepted `attach` (procinit connect), the connection leaves JSON for binary frames in both
 * directions: 1 type byte + 4-byte big-endian payload length + payload (FrameType below).
 */
export const PROTOCOL_VERSION = 1;

/** The largest request line the server reads (and a frame's largest payload). */
export const MAX_LINE_BYTES = 1024 * 1024;

export type RequestId = string | number | null;

export interface Hello {
  hello: 'procinit';
  /** Protocol version the server speaks. */
  v: number;
  /** procinit's version. */
  version: string;
  pid: number;
}

export interface Request {
  v: number;
  id: RequestId;
  cmd: string;
  args: Record<string, unknown>;
}

export const ERROR_CODES = [
  'bad_request', // not JSON, not an object, wrong field types
  'too_large', // a line over MAX_LINE_BYTES (the connection is closed)
  'unsupported_version', // "v" is not a version this server speaks
  'unknown_command', // "cmd" names no command
  'invalid_args', // the command's arguments are wrong (message says which)
  'no_such_process', // a name, type or group that matches nothing
  'shutting_down', // the run is stopping; nothing new is started
  'config', // reload: the config no longer loads (message is file:line: problem)
  'unsupported', // known command this procinit cannot do here
  'too_slow', // a stream's reader fell too far behind; the stream is dropped
  'internal', // a bug: procinit kept running
  'forbidden', // before the hello: the client's uid is neither procinit's nor root (the connection is closed)
  'busy', // before the hello: every connection slot is busy working (the connection is closed)
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export interface OkResponse<T = unknown> {
  id: RequestId;
  ok: true;
  /** Set when events follow, until an EndMessage. */
  stream?: true;
  result: T;
}

export interface ErrorResponse {
  id: RequestId;
  error: ErrorBody;
}

export interface EventMessage<E = unknown> {
  id: RequestId;
  event: E;
}

export interface EndMessage {
  id: RequestId;
  end: true;
  error?: ErrorBody;
}

export type Response = OkResponse | ErrorResponse | EventMessage | EndMessage;

/** An error with a protocol code, thrown by handlers and turned into an ErrorResponse. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  get body(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** One message as one line. */
export function encode(message: object): Buffer {
  return Buffer.from(JSON.stringify(message) + '\n');
}

/**
 * A result a handler has encoded itself, in slices (a status of thousands of processes is a 1.5 MB answer:
 * made and encoded in one go it held the event loop 10-20 ms, several times that under load).
 */
export class PreEncoded {
  constructor(readonly json: string) {}
}

/** The ok answer line for a result already encoded as JSON. */
export function encodeOkRaw(id: RequestId, json: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)},"ok":true,"result":${json}}\n`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and check one request line; a RequestError says what is wrong (and carries the id when readable). */
export function parseRequest(line: Buffer | string): Request {
  let value: unknown;
  try {
    value = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
  } catch {
    throw new RequestError('bad_request', 'not JSON (one request object per line)');
  }
  if (!isRecord(value)) throw new RequestError('bad_request', 'a request is a JSON object {"v":1,"id":…,"cmd":…,"args":{…}}');
  const id = value.id ?? null;
  const req: Request = { v: PROTOCOL_VERSION, id: null, cmd: '', args: {} };
  if (id !== null && typeof id !== 'string' && typeof id !== 'number') throw new RequestError('bad_request', '"id" must be a string or a number');
  req.id = id;
  if (value.v !== undefined) {
    if (value.v !== PROTOCOL_VERSION) {
      throw new RequestIdError(id, 'unsupported_version', `protocol version ${JSON.stringify(value.v)} is not supported (this procinit speaks ${PROTOCOL_VERSION})`);
    }
  }
  if (typeof value.cmd !== 'string' || value.cmd === '') throw new RequestIdError(id, 'bad_request', '"cmd" must be a non-empty string');
  req.cmd = value.cmd;
  if (value.args !== undefined && value.args !== null) {
    if (!isRecord(value.args)) throw new RequestIdError(id, 'bad_request', '"args" must be an object');
    req.args = value.args;
  }
  return req;
}

/** A RequestError that knows the id of the request it answers. */
export class RequestIdError extends RequestError {
  constructor(
    readonly id: RequestId,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/**
 * Splits a byte stream into lines without ever holding more than maxLine (+ one chunk) bytes.
 * overflow() is called once when a line grows past maxLine; the reader then stops (the caller closes).
 */
export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(
    private readonly onLine: (line: Buffer) => void,
    private readonly onOverflow: () => void,
    private readonly maxLine = MAX_LINE_BYTES,
  ) {}

  /** Bytes held for the unfinished line. */
  get pending(): number {
    return this.size;
  }

  get stopped(): boolean {
    return this.overflowed;
  }

  /**
   * Feed a chunk. Returns the bytes after the line at which shouldStop() turned true (they are not
   * consumed), or null when the whole chunk was consumed. shouldStop is asked after a line only when more
   * bytes follow it.
   */
  push(chunk: Buffer, shouldStop: () => boolean = () => false): Buffer | null {
    if (this.overflowed) return null;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        const rest = chunk.length - start;
        if (this.size + rest > this.maxLine) return this.overflow();
        this.parts.push(chunk.subarray(start));
        this.size += rest;
        return null;
      }
      if (this.size + (nl - start) > this.maxLine) return this.overflow();
      let line = chunk.subarray(start, nl);
      if (this.parts.length > 0) {
        this.parts.push(line);
        line = Buffer.concat(this.parts);
        this.parts = [];
        this.size = 0;
      }
      start = nl + 1;
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      if (line.length > 0) this.onLine(line);
      if (start < chunk.length && shouldStop()) return chunk.subarray(start);
    }
    return null;
  }

  /** At end of input: the unterminated tail as a last line (a request sent without its newline). */
  end(): void {
    if (this.overflowed || this.size === 0) return;
    const line = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    if (line.toString('utf8').trim() !== '') this.onLine(line);
  }

  private overflow(): null {
    this.overflowed = true;
    this.parts = [];
    this.size = 0;
    this.onOverflow();
    return null;
  }
}

// ---- framed mode (procinit connect) ---------------------------------------------------------
//
// Entered by both sides right after the server's ok answer to an `attach` request (the client sends no
// frame before reading that answer; the server reads no JSON after the attach line). The `connect` command
// (server handler and client) uses these; nothing else does.

export enum FrameType {
  /** Terminal bytes: client -> server is keyboard input, server -> client is the program's output. */
  Data = 1,
  /** Client -> server: new terminal size, payload = cols (uint16 BE) + rows (uint16 BE). */
  Resize = 2,
  /** Either side: leave framed mode and close; the program keeps running. Empty payload. */
  Detach = 3,
}

export const FRAME_HEADER_BYTES = 5;
export const MAX_FRAME_BYTES = MAX_LINE_BYTES;

export interface Frame {
  type: number;
  payload: Buffer;
}

export function encodeFrame(type: FrameType | number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_FRAME_BYTES) throw new RangeError(`frame payload of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

export function encodeResize(cols: number, rows: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt16BE(Math.max(1, Math.min(0xffff, Math.floor(cols))), 0);
  p.writeUInt16BE(Math.max(1, Math.min(0xffff, Math.floor(rows))), 2);
  return encodeFrame(FrameType.Resize, p);
}

export function decodeResize(payload: Buffer): { cols: number; rows: number } | null {
  if (payload.length !== 4) return null;
  return { cols: payload.readUInt16BE(0), rows: payload.readUInt16BE(2) };
}

export class FrameTooLarge extends Error {
  override readonly name = 'FrameTooLarge';
}

/** Reassembles frames from a byte stream; holds at most one partial frame (<= MAX_FRAME_BYTES + header). */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Complete frames in the bytes so far. Throws FrameTooLarge on a header announcing too much. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    while (this.buf.length >= FRAME_HEADER_BYTES) {
      const type = this.buf.readUInt8(0);
      const len = this.buf.readUInt32BE(1);
      if (len > MAX_FRAME_BYTES) throw new FrameTooLarge(`frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (this.buf.length < FRAME_HEADER_BYTES + len) break;
      frames.push({ type, payload: this.buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len) });
      this.buf = this.buf.subarray(FRAME_HEADER_BYTES + len);
    }
    return frames;
  }
}

/** What is wrong with the server's first line, or null when it is procinit's hello in our version. */
export function helloProblem(msg: Record<string, unknown>, path: string): { message: string; versionMismatch: boolean } | null {
  if (msg.hello !== 'procinit') return { message: `${path} does not speak procinit's protocol`, versionMismatch: false };
  if (msg.v !== PROTOCOL_VERSION) {
    return { message: `procinit on ${path} speaks protocol ${String(msg.v)}, this client ${PROTOCOL_VERSION}: use the same procinit version`, versionMismatch: true };
  }
  return null;
}
