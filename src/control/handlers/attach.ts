/**
 * `attach` (procinit connect): a terminal on one running process over the control socket.
 *
 * Registered `exclusive`, so the connection reads no JSON after the attach line. The handler checks the
 * name, answers ok with what the client needs to know (tty or pipes, a notice), then upgrades the socket
 * to binary frames (protocol.ts): first the replay (the last screenful for a pty, the last lines for
 * pipes), then the program's output as it comes; Data frames from the client go to the pty (or to stdin
 * through a small line editor for a pipe program), Resize frames resize the pty (the last resizer wins;
 * when the last client leaves the pty gets back the size it had before the first came), Detach or a
 * closed socket ends the session: only this connection's state goes, the program keeps running.
 */
import type { Socket } from 'node:net';
import type { OutputHub } from '../../output/hub.js';
import type { OutputRecord } from '../../output/record.js';
import type { PtyProcess } from '../../supervisor/pty.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import type { RequestContext } from '../connection.js';
import { decodeResize, encodeFrame, FrameDecoder, FrameTooLarge, FrameType, MAX_FRAME_BYTES, RequestError } from '../protocol.js';
import { optionalInt, requiredString, selectOrThrow } from './args.js';

/** Output waiting for a client that does not read: beyond this the client is dropped (memory stays flat). */
export const MAX_ATTACH_BACKLOG = 4 * 1024 * 1024;
/** Lines of a pipe program replayed on connect. */
export const PIPE_REPLAY_LINES = 50;
/** A pipe program's unfinished input line is capped (the line editor is server-side). */
const MAX_INPUT_LINE = 64 * 1024;
/**
 * Input waiting for a program that does not read its stdin, per program (every session shares its stdin):
 * beyond this, typed input is dropped and the client told so, once each time the queue fills.
 */
export const MAX_STDIN_QUEUE = 1024 * 1024;
/**
 * A pty's input queue (node-pty keeps one while the terminal's own buffer is full): at most this many
 * chunks and MAX_STDIN_QUEUE bytes (a chunk is what a client sent in one frame, up to 1 MiB: a cap in
 * chunks alone allowed gigabytes).
 */
const MAX_PTY_QUEUE_CHUNKS = 4096;

/** A character the line editor takes as it is: printable, or a tab. */
function isPlain(code: number): boolean {
  return (code >= 0x20 && code !== 0x7f) || code === 0x09;
}

/** Bytes queued for a pipe program's stdin. */
function stdinQueued(stdin: NodeJS.WritableStream): number {
  return (stdin as { writableLength?: number }).writableLength ?? 0;
}

/**
 * What node-pty holds for a terminal whose program does not read (its internal queue of { buffer, offset }:
 * node-pty's unixTerminal.js; chunks and bytes, 0 if unknown). Bytes are summed only up to the chunk cap.
 */
function ptyQueued(pty: PtyProcess): { chunks: number; bytes: number } {
  const q = (pty as unknown as { _writeStream?: { _writeQueue?: Array<{ buffer?: Buffer; offset?: number }> } })._writeStream?._writeQueue;
  if (!Array.isArray(q)) return { chunks: 0, bytes: 0 };
  let bytes = 0;
  if (q.length <= MAX_PTY_QUEUE_CHUNKS) for (const t of q) bytes += (t?.buffer?.byteLength ?? 0) - (t?.offset ?? 0);
  return { chunks: q.length, bytes };
}

export interface AttachResult {
  name: string;
  /** The process runs in a pseudo-terminal. */
  tty: boolean;
  pid: number;
  /** A line the client prints before the session starts (null: nothing to say). */
  notice: string | null;
}

/** The size a pty had before its first client, and how many clients it has now. */
interface PtyClients {
  count: number;
  cols: number;
  rows: number;
}

const ptyClients = new WeakMap<PtyProcess, PtyClients>();

function resizePty(pty: PtyProcess, cols: number, rows: number): void {
  if (cols < 1 || rows < 1) return;
  try {
    pty.resize(cols, rows);
  } catch {
    /* the pty is gone: its exit ends the session */
  }
}

/** Lines as a raw terminal wants them. */
function recordsToBytes(records: readonly OutputRecord[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) parts.push(r.line, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

export function attachHandler(supervisor: Supervisor, hub: OutputHub) {
  return async (args: Record<string, unknown>, ctx: RequestContext): Promise<null> => {
    const name = requiredString(args, 'name');
    const cols = optionalInt(args, 'cols', 1, 0xffff);
    const rows = optionalInt(args, 'rows', 1, 0xffff);
    const found = selectOrThrow(supervisor, [name]);
    if (found.length !== 1) {
      throw new RequestError('invalid_args', `'${name}' has ${found.length} processes (${found.map((i) => i.name).join(', ')}): connect to one of them`);
    }
    const inst = found[0];
    const child = inst.child;
    if (child === null || inst.pid === null || supervisor.stopping) {
      throw new RequestError('unsupported', `${inst.name} is not running (${inst.state}): start it first (procinit start ${inst.name})`);
    }
    if (ctx.closed) return null;
    const pty = child.pty;
    const result: AttachResult = {
      name: inst.name,
      tty: pty !== null,
      pid: child.pid,
      notice:
        pty !== null
          ? null
          : child.stdin
            ? `${inst.name} has no terminal (run it with --tty ${inst.spec.program} or tty=true): its output streams here, typed lines go to its stdin`
            : `${inst.name} has no terminal and no stdin: its output streams here, typed input is dropped`,
    };
    ctx.writeOk(result);
    const { socket, rest } = ctx.upgrade();
    new Session(socket, rest, inst.name, child.stdin, pty, hub, supervisor, () => inst.sendSignal('INT'), cols, rows).start(child);
    return null;
  };
}

class Session {
  private readonly decoder = new FrameDecoder();
  private readonly cleanups: Array<() => void> = [];
  private over = false;
  /** Pipe programs: the line being typed. */
  private line = '';
  /** Input was dropped and the client told: not again until the program reads. */
  private toldDropped = false;

  constructor(
    private readonly socket: Socket,
    private readonly rest: Buffer,
    private readonly name: string,
    private readonly stdin: NodeJS.WritableStream | null,
    private readonly pty: PtyProcess | null,
    private readonly hub: OutputHub,
    private readonly supervisor: Supervisor,
    private readonly interrupt: () => void,
    private readonly cols: number | undefined,
    private readonly rows: number | undefined,
  ) {}

  start(child: { onExit(cb: () => void): void }): void {
    const socket = this.socket;
    socket.on('error', () => {
      /* the client is gone: 'close' follows */
    });
    socket.once('close', () => this.end(false));
    if (this.pty) {
      const pty = this.pty;
      let entry = ptyClients.get(pty);
      if (!entry) ptyClients.set(pty, (entry = { count: 0, cols: pty.cols, rows: pty.rows }));
      entry.count++;
      this.cleanups.push(() => {
        entry.count--;
        if (entry.count === 0) {
          ptyClients.delete(pty);
          if (pty.cols !== entry.cols || pty.rows !== entry.rows) resizePty(pty, entry.cols, entry.rows);
        }
      });
      if (this.cols !== undefined && this.rows !== undefined) resizePty(pty, this.cols, this.rows);
      this.send(FrameType.Data, this.hub.screen(this.name));
      this.cleanups.push(this.hub.onRaw(this.name, (chunk) => this.send(FrameType.Data, chunk)));
    } else {
      this.send(FrameType.Data, recordsToBytes(this.hub.recent([this.name], PIPE_REPLAY_LINES)));
      this.cleanups.push(this.hub.follow([this.name], (records) => this.send(FrameType.Data, recordsToBytes(records))));
    }
    // the child's exit callbacks are kept for its life: hold this session only through a cell we empty
    const cell: { s: Session | null } = { s: this };
    this.cleanups.push(() => (cell.s = null));
    child.onExit(() => cell.s?.programEnded());
    const onShutdown = (): void => this.close('\r\n[procinit is shutting down]\r\n');
    this.supervisor.on('shutdown', onShutdown);
    this.cleanups.push(() => this.supervisor.off('shutdown', onShutdown));
    socket.on('data', (d: Buffer) => this.onData(d));
    if (this.rest.length > 0) this.onData(this.rest);
    socket.resume();
  }

  private send(type: FrameType, payload: Buffer): void {
    if (this.over || this.socket.destroyed || !this.socket.writable) return;
    if (type === FrameType.Data && payload.length === 0) return;
    if (payload.length <= MAX_FRAME_BYTES) this.socket.write(encodeFrame(type, payload));
    else for (let at = 0; at < payload.length; at += MAX_FRAME_BYTES) this.socket.write(encodeFrame(type, payload.subarray(at, at + MAX_FRAME_BYTES)));
    if (this.socket.writableLength > MAX_ATTACH_BACKLOG) this.socket.destroy(); // a client that does not read
  }

  private onData(chunk: Buffer): void {
    if (this.over) return;
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (err instanceof FrameTooLarge) return void this.socket.destroy();
      throw err;
    }
    for (const f of frames) {
      if (this.over) return;
      if (f.type === FrameType.Data) this.input(f.payload);
      else if (f.type === FrameType.Resize) {
        const size = decodeResize(f.payload);
        if (size && this.pty) resizePty(this.pty, size.cols, size.rows);
      } else if (f.type === FrameType.Detach) {
        this.close();
        return;
      }
      // unknown frame types are ignored (a newer client)
    }
  }

  /** Tell the client once that input is being dropped; again only once the program has read some. */
  private dropped(): string {
    if (this.toldDropped) return '';
    this.toldDropped = true;
    return `\r\n[procinit: ${this.name} is not reading its input: typed input is dropped until it does]\r\n`;
  }

  private input(data: Buffer): void {
    if (this.pty) {
      const queued = ptyQueued(this.pty);
      if (queued.chunks <= MAX_PTY_QUEUE_CHUNKS / 2 && queued.bytes <= MAX_STDIN_QUEUE / 2) this.toldDropped = false;
      if (queued.chunks > MAX_PTY_QUEUE_CHUNKS || queued.bytes > MAX_STDIN_QUEUE) {
        const notice = this.dropped();
        if (notice) this.send(FrameType.Data, Buffer.from(notice));
        return;
      }
      try {
        this.pty.write(data);
      } catch {
        /* gone: the exit ends the session */
      }
      return;
    }
    // a pipe program: a minimal line editor here, since its stdin is not a terminal
    if (this.stdin && stdinQueued(this.stdin) <= MAX_STDIN_QUEUE / 2) this.toldDropped = false;
    let echo = '';
    const text = data.toString('utf8');
    let i = 0;
    while (i < text.length) {
      // a run of ordinary characters is taken whole (a paste of megabytes is not a million string joins)
      let j = i;
      while (j < text.length && isPlain(text.charCodeAt(j))) j++;
      if (j > i) {
        const run = text.slice(i, Math.min(j, i + Math.max(0, MAX_INPUT_LINE - this.line.length)));
        this.line += run;
        echo += run;
        i = j;
        continue;
      }
      const ch = text[i++];
      if (ch === '\r' || ch === '\n') {
        echo += '\r\n';
        if (this.stdin && stdinQueued(this.stdin) > MAX_STDIN_QUEUE) echo += this.dropped();
        else this.stdin?.write(this.line + '\n');
        this.line = '';
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line.length > 0) {
          this.line = [...this.line].slice(0, -1).join('');
          echo += '\b \b';
        }
      } else if (ch === '\x03') {
        this.line = '';
        echo += '^C\r\n';
        this.interrupt();
      } else if (ch === '\x15') {
        echo += '\b \b'.repeat([...this.line].length);
        this.line = '';
      }
      // other control characters are ignored
    }
    if (echo) this.send(FrameType.Data, Buffer.from(echo));
  }

  private programEnded(): void {
    this.close(`\r\n[${this.name} exited]\r\n`);
  }

  /** End the session from our side: a last message, a Detach frame, close. */
  private close(message?: string): void {
    if (this.over) return;
    if (message) this.send(FrameType.Data, Buffer.from(message));
    this.send(FrameType.Detach, Buffer.alloc(0));
    this.end(true);
  }

  private end(ourSide: boolean): void {
    if (this.over) return;
    this.over = true;
    for (const fn of this.cleanups.splice(0)) fn();
    if (ourSide && !this.socket.destroyed) {
      this.socket.end();
      const t = setTimeout(() => this.socket.destroy(), 2000);
      t.unref();
      this.socket.once('close', () => clearTimeout(t));
    } else this.socket.destroy();
  }
}
