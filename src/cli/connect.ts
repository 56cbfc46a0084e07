/**
 * `procinit connect NAME [--detach-keys ctrl-b,d]`: this terminal on a running process (server side:
 * src/control/handlers/attach.ts). The terminal goes raw, the last screenful is replayed, keystrokes go
 * to the program (Ctrl-C too), the window size follows this terminal, and the detach keys leave the
 * program running. The terminal is restored on every way out: detach, the program's exit, procinit going
 * away, errors, and signals (signal-exit).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { onExit } from 'signal-exit';
import { UsageError } from '../config/errors.js';
import type { AttachResult } from '../control/handlers/attach.js';
import { CONNECT_TIMEOUT_MS, EXIT_NO_SUCH_PROCESS, SOCKET_HELP, SOCKET_OPTIONS, socketFor } from '../control/client-command.js';
import { encodeFrame, encodeResize, FrameDecoder, FrameType, helloProblem, LineReader, PROTOCOL_VERSION, encode, type ErrorBody } from '../control/protocol.js';
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

class Failure extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const REMOTE_EXIT: Partial<Record<ErrorBody['code'], number>> = { no_such_process: EXIT_NO_SUCH_PROCESS, invalid_args: 2, config: 2 };

/** Connect, read the hello, ask to attach; resolves with the answer, the socket, and bytes already after it. */
function attach(path: string, args: object): Promise<{ socket: Socket; result: AttachResult; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ path });
    let stage: 'hello' | 'answer' | 'frames' = 'hello';
    const fail = (err: Failure): void => {
      if (stage === 'frames') return;
      stage = 'frames';
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Failure(`no procinit answering on ${path} (no answer within ${CONNECT_TIMEOUT_MS / 1000}s)`, 1)), CONNECT_TIMEOUT_MS);
    let result: AttachResult | null = null;
    const reader = new LineReader(
      (line) => {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
        } catch {
          return fail(new Failure(`${path} does not speak procinit's protocol`, 1));
        }
        if (stage === 'hello') {
          const problem = helloProblem(msg, path);
          if (problem) return fail(new Failure(problem.message, 1));
          stage = 'answer';
          return;
        }
        if (msg.error) {
          const e = msg.error as ErrorBody;
          return fail(new Failure(e.message, REMOTE_EXIT[e.code] ?? 1));
        }
        result = msg.result as AttachResult;
        stage = 'frames';
      },
      () => fail(new Failure(`an answer from ${path} was too large`, 1)),
    );
    const onData = (d: Buffer): void => {
      const rest = reader.push(d, () => stage === 'frames');
      if (stage === 'frames' && result) {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.pause();
        resolve({ socket, result, rest: rest ?? Buffer.alloc(0) });
      }
    };
    socket.on('data', onData);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const how: Record<string, string> = {
        ENOENT: 'no socket there',
        ECONNREFUSED: 'a stale socket: nothing listens',
        EACCES: 'permission denied: the socket is 0600, run this as the user procinit runs as',
      };
      fail(new Failure(`no procinit answering on ${path} (${how[err.code ?? ''] ?? err.code ?? err.message}); is it running? (--socket PATH or $PROCINIT_SOCKET)`, 1));
    });
    socket.on('connect', () => socket.write(encode({ v: PROTOCOL_VERSION, id: 1, cmd: 'attach', args })));
    socket.on('close', () => fail(new Failure(`procinit closed the connection on ${path}`, 1)));
  });
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
  const path = await socketFor(values);
  const out = process.stdout;
  const size = (): { cols: number; rows: number } | null => (out.isTTY && out.columns > 0 && out.rows > 0 ? { cols: out.columns, rows: out.rows } : null);
  const start = size();
  let session;
  try {
    session = await attach(path, { name: positionals[0], ...(start ?? {}) });
  } catch (err) {
    if (err instanceof Failure) {
      process.stderr.write(`procinit: ${err.message}\n`);
      return err.code;
    }
    throw err;
  }
  const { socket, result, rest } = session;
  if (result.notice) process.stderr.write(`procinit: ${result.notice}\n`);

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
