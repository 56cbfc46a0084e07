/**
 * `procinit connect NAME [--detach-keys ctrl-b,d]`: this terminal on a running process (server side:
 * src/control/handlers/attach.ts). The terminal goes raw, the last screenful is replayed, keystrokes go
 * to the program (Ctrl-C too), the window size follows this terminal, and the detach keys leave the
 * program running. The terminal is restored on every way out: detach, the program's exit, procinit going
 * away, errors, and signals (signal-exit).
 */
import type { Socket } from 'node:net';
import { onExit } from 'signal-exit';
import { oneLine, UsageError } from '../config/errors.js';
import type { AttachResult } from '../control/handlers/attach.js';
import { SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { encodeFrame, encodeResize, FrameDecoder, FrameType } from '../control/protocol.js';
import { parse } from './args.js';

export const CONNECT_HELP = `Usage: procinit connect NAME [--detach-keys KEYS] [-s SOCKET]

Attaches this terminal to a running process (web.1, or a type such as web when
it has one instance): the last screenful is replayed, what you type goes to
the program (Ctrl-C included), and the program's window follows this one.
Detach with Ctrl-b then d: the program keeps running.

A program runs in a terminal with --tty NAMES (Procfile) or tty=true (INI);
a program without one can still be connected: its output streams, and typed
lines go to its stdin.

      --detach-keys KEYS  the detach sequence, comma-separated: a character or
                          ctrl-X (default ctrl-b,d)
${SOCKET_HELP}
Exit codes: 0 detached or the program ended; 1 no procinit answering, the
process is not running, or the connection was lost; 2 usage error or stdin
is not a terminal; 4 no such process.
`;

export const DEFAULT_DETACH_KEYS = 'ctrl-b,d';

/** `ctrl-b,d` -> [0x02, 0x64] (the docker attach --detach-keys grammar). */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const raw of spec.split(',')) {
    const key = raw.trim();
    const ctrl = /^ctrl-(.)$/i.exec(key);
    if (ctrl) {
      const c = ctrl[1].toLowerCase();
      if (c >= 'a' && c <= 'z') bytes.push(c.charCodeAt(0) - 96);
      else if ('@[\\]^_'.includes(c)) bytes.push(c.charCodeAt(0) - 64);
      else throw new UsageError(`--detach-keys: '${key}' is not a control key (ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_)`);
    } else if (key.length === 1 && key.charCodeAt(0) >= 0x20 && key.charCodeAt(0) < 0x7f) {
      bytes.push(key.charCodeAt(0));
    } else {
      throw new UsageError(`--detach-keys: '${key}' is not a key (a single character or ctrl-X, comma-separated, e.g. ctrl-b,d)`);
    }
  }
  if (bytes.length === 0) throw new UsageError('--detach-keys: no keys given');
  return Buffer.from(bytes);
}

/** Watches typed bytes for the detach sequence; bytes of a partial match are held back until it fails. */
export class DetachMatcher {
  private matched = 0;
  constructor(private readonly keys: Buffer) {}

  /** The bytes to send on, and whether the sequence is complete (the rest of the chunk is dropped). */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      if (this.matched > 0) {
        for (let i = 0; i < this.matched; i++) out.push(this.keys[i]);
        this.matched = 0;
        if (b === this.keys[0]) {
          this.matched = 1;
          if (this.keys.length === 1) return { forward: Buffer.from(out), detach: true };
          continue;
        }
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export async function connectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...SOCKET_OPTIONS, 'detach-keys': { type: 'string' } });
  if (values.help) {
    process.stdout.write(CONNECT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'connect: name a process (procinit connect NAME)' : 'connect: name one process');
  const keys = parseDetachKeys(values['detach-keys'] ?? DEFAULT_DETACH_KEYS);
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    process.stderr.write('procinit: connect needs a terminal: stdin is not a TTY\n');
    return 2;
  }
  const out = process.stdout;
  const size = (): { cols: number; rows: number } | null => (out.isTTY && out.columns > 0 && out.rows > 0 ? { cols: out.columns, rows: out.rows } : null);
  const start = size();
  // the hello, the attach request and its errors (exit 4 for an unknown name) as for every client verb
  return withControl(values, async (client) => {
    const { socket, result, rest } = await client.upgrade<AttachResult>('attach', { name: positionals[0], ...(start ?? {}) });
    if (result.notice) process.stderr.write(`procinit: ${oneLine(result.notice)}\n`);
    return session(socket, result, rest, keys, size);
  });
}

/** The attached terminal: raw mode, keystrokes out as frames, the program's output in, until detach or the end. */
function session(socket: Socket, result: AttachResult, rest: Buffer, keys: Buffer, size: () => { cols: number; rows: number } | null): Promise<number> {
  const stdin = process.stdin;
  const out = process.stdout;
  // from here the terminal is raw: every way out goes through restore()
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    try {
      stdin.setRawMode(false);
    } catch {
      /* the terminal is gone */
    }
  };
  const removeExitHook = onExit(() => restore());
  stdin.setRawMode(true);

  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, message?: string): void => {
      if (done) return;
      done = true;
      stdin.off('data', onKeys);
      stdin.pause();
      out.off('resize', onResize);
      socket.destroy();
      restore();
      removeExitHook();
      if (message) process.stderr.write(message);
      resolve(code);
    };
    const matcher = new DetachMatcher(keys);
    const onKeys = (chunk: Buffer): void => {
      const { forward, detach } = matcher.push(chunk);
      if (forward.length > 0) socket.write(encodeFrame(FrameType.Data, forward));
      if (detach) {
        socket.end(encodeFrame(FrameType.Detach));
        finish(0, `\r\nprocinit: detached from ${result.name} (it keeps running)\r\n`);
      }
    };
    const onResize = (): void => {
      const s = size();
      if (s) socket.write(encodeResize(s.cols, s.rows));
    };
    const decoder = new FrameDecoder();
    const onFrames = (d: Buffer): void => {
      let frames;
      try {
        frames = decoder.push(d);
      } catch {
        return finish(1, '\r\nprocinit: bad data from procinit: disconnected\r\n');
      }
      for (const f of frames) {
        if (f.type === FrameType.Data) {
          if (!out.write(f.payload)) {
            socket.pause();
            out.once('drain', () => socket.resume());
          }
        } else if (f.type === FrameType.Detach) {
          return finish(0);
        }
      }
    };
    socket.on('data', onFrames);
    socket.on('error', () => {});
    socket.on('close', () => finish(1, `\r\nprocinit: the connection to procinit was lost\r\n`));
    stdin.on('data', onKeys);
    out.on('resize', onResize);
    stdin.resume();
    if (rest.length > 0) onFrames(rest);
    socket.resume();
  });
}
