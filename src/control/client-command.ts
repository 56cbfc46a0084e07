/**
 * What every client command (status, start, logs, ...) shares: the socket options, finding the socket,
 * connecting, and turning failures into the documented exit codes:
 * 1 no procinit answering / a remote failure, 2 usage or config error, 4 no such process.
 */
import { defaultLoadOptions } from '../config/options.js';
import type { ControlClient } from './client.js';
import { ControlUnavailable, RemoteError } from './client-errors.js';
import { clientSocketPath } from './socket-path.js';
import { NativeControl, type OneShotClient } from './native-client.js';
import { loadedAddon, PROCINIT_ADDON } from '../pid1/native.js';
import { oneLine } from '../config/errors.js';
import { writeSync } from 'node:fs';

export const SOCKET_OPTIONS = {
  socket: { type: 'string', short: 's' },
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const JSON_OPTION = { json: { type: 'boolean' } } as const;

/** Help lines every client command shares. */
export const SOCKET_HELP = `  -s, --socket PATH   control socket (else $PROCINIT_SOCKET, else the config's
                      [procinit] socket, else /run/procinit.sock or
                      \${XDG_RUNTIME_DIR:-/tmp}/procinit-<uid>.sock)
  -c, --config FILE   read the socket path from this config's [procinit] socket
  -h, --help          this help
`;

export const EXIT_NO_SUCH_PROCESS = 4;

interface SocketValues {
  socket?: string;
  config?: string;
}

/** The config's `[procinit] socket`: from -c (errors are the user's), else $PROCINIT_CONFIG (best effort). */
async function configSocket(values: SocketValues, env: Record<string, string | undefined>, cwd: string): Promise<string | null> {
  if (values.config === undefined && (env.PROCINIT_SOCKET || values.socket !== undefined || !env.PROCINIT_CONFIG)) return null;
  // the parsers are loaded only when a config must be read: a plain `status` starts without them
  const { loadRun } = await import('../config/load.js');
  if (values.config !== undefined) return loadRun(defaultLoadOptions({ config: values.config, env, cwd })).socketPath;
  try {
    return loadRun(defaultLoadOptions({ config: env.PROCINIT_CONFIG!, env, cwd })).socketPath;
  } catch {
    return null;
  }
}

export async function socketFor(values: SocketValues, env = process.env, cwd = process.cwd()): Promise<string> {
  return clientSocketPath({ flag: values.socket ?? null, config: await configSocket(values, env, cwd), env, cwd }).path;
}

/** How long to wait for the hello of a procinit that is there but busy. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connect, run the command's body, close. Expected failures become one line on stderr and an exit code;
 * UsageError and ConfigError go up to main (exit 2).
 */
export async function withControl(values: SocketValues, body: (client: ControlClient) => Promise<number>): Promise<number> {
  return withControlAt(await socketFor(values), body);
}

async function withControlAt(path: string, body: (client: ControlClient) => Promise<number>): Promise<number> {
  let client: ControlClient | null = null;
  try {
    // net and its streams load here, not for a one-shot verb that took the addon's path
    const { ControlClient } = await import('./client.js');
    client = await ControlClient.connect(path, CONNECT_TIMEOUT_MS);
    return await body(client);
  } catch (err) {
    return failure(err);
  } finally {
    client?.close();
  }
}

/**
 * withControl for a verb that asks one question (status): over procinit's addon, blocking, without loading
 * Node's net (native-client.ts); over ControlClient where the addon is missing or connect(2) failed, so
 * that failure is worded as always.
 */
export async function withOneRequest(values: SocketValues, body: (client: OneShotClient) => Promise<number>): Promise<number> {
  const path = await socketFor(values);
  let native: NativeControl | null;
  try {
    native = NativeControl.connect(path, CONNECT_TIMEOUT_MS);
  } catch (err) {
    return failure(err);
  }
  if (native === null) return withControlAt(path, body);
  try {
    return await body(native);
  } catch (err) {
    return failure(err);
  } finally {
    native.close();
  }
}

/** An expected failure as one line on stderr and its exit code; anything else goes up. */
function failure(err: unknown): number {
  if (err instanceof ControlUnavailable) {
    process.stderr.write(`procinit: ${oneLine(err.message)}\n`);
    return 1;
  }
  if (err instanceof RemoteError) {
    process.stderr.write(`procinit: ${oneLine(err.message)}\n`);
    if (err.code === 'no_such_process') return EXIT_NO_SUCH_PROCESS;
    if (err.code === 'config' || err.code === 'invalid_args') return 2;
    return 1;
  }
  throw err;
}

/** Set once a write went through Node's process.stdout: from then on every write does, in order. */
let viaStream = false;

/**
 * Write to stdout; resolves once this and everything before it is written, so process.exit does not cut
 * a pipe's output short. out('') just waits for what process.stdout has pending.
 *
 * A client's answer is small: it is written at once with write(2), without Node's process.stdout, which
 * costs 0.5 ms (a file) to 2 ms (a pipe: a net.Socket) to make at every `procinit status` in a HEALTHCHECK.
 * Only when the descriptor is non-blocking and full (EAGAIN) does the rest go through process.stdout. A
 * reader that went away (EPIPE) or a closed stdout loses the output, as with the stream.
 */
export function out(text: string): Promise<void> {
  if (text.length > 0 && !viaStream) {
    let buf = Buffer.from(text);
    try {
      while (buf.length > 0) buf = buf.subarray(writeSync(1, buf));
      return Promise.resolve();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return Promise.resolve();
      viaStream = true;
      text = buf.toString();
    }
  }
  return new Promise((resolve) => {
    if (process.stdout.destroyed || !process.stdout.writable) return resolve();
    process.stdout.write(text, () => resolve());
  });
}

/** The terminal's width when stdout is one, else null; Node's process.stdout is made only for a terminal. */
export function terminalColumns(): number | null {
  // node:tty (it loads node:net) only here, and not when the addon is loaded already (status took its
  // path): `procinit check` writes with out() and needs no socket
  const addon = loadedAddon(PROCINIT_ADDON) as { isatty?: (fd: number) => boolean } | null;
  const tty = typeof addon?.isatty === 'function' ? addon.isatty(1) : (require('node:tty') as typeof import('node:tty')).isatty(1);
  return tty ? process.stdout.columns || 80 : null;
}

export function json(value: unknown): Promise<void> {
  return out(JSON.stringify(value, null, 2) + '\n');
}
