/**
 * Where the control socket lives. The server and the client follow the same rules, so
 * `docker exec ctr procinit status` finds the socket from any folder:
 *
 *   --socket PATH  >  $PROCINIT_SOCKET  >  the config's `[procinit] socket`  >
 *   /run/procinit.sock (when /run is writable)  >  ${XDG_RUNTIME_DIR:-/tmp}/procinit-<uid>.sock
 *
 * A client without --socket or $PROCINIT_SOCKET reads `[procinit] socket` from -c CONFIG or
 * $PROCINIT_CONFIG when given, and takes /run/procinit.sock whenever that file exists (a client that may
 * not write /run, e.g. `docker exec -u app`, still finds a root procinit's socket there).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const RUN_SOCKET = '/run/procinit.sock';

/** sun_path holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export type SocketSource = '--socket' | '$PROCINIT_SOCKET' | 'config' | 'default';

export interface SocketChoice {
  path: string;
  source: SocketSource;
}

export interface SocketInputs {
  /** --socket PATH */
  flag: string | null;
  /** The config's `[procinit] socket` (RunSpec.socketPath). */
  config: string | null;
  env: Record<string, string | undefined>;
  cwd: string;
  uid?: number;
}

/** The control socket could not be set up (in use, not a socket, not creatable): exit 1, one line. */
export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError';
  constructor(
    message: string,
    /** in_use: a live socket is there (never ignored); unusable: cannot be created at this path. */
    readonly kind: 'in_use' | 'unusable' = 'unusable',
  ) {
    super(message);
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** ${XDG_RUNTIME_DIR:-/tmp}/procinit-<uid>.sock */
export function fallbackSocketPath(env: Record<string, string | undefined>, uid = process.getuid?.() ?? 0): string {
  const dir = env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR.trim() !== '' ? env.XDG_RUNTIME_DIR : '/tmp';
  return join(dir, `procinit-${uid}.sock`);
}

function explicit(inputs: SocketInputs): SocketChoice | null {
  if (inputs.flag !== null && inputs.flag !== '') return { path: resolve(inputs.cwd, inputs.flag), source: '--socket' };
  const env = inputs.env.PROCINIT_SOCKET;
  if (env !== undefined && env !== '') return { path: resolve(inputs.cwd, env), source: '$PROCINIT_SOCKET' };
  if (inputs.config !== null && inputs.config !== '') return { path: resolve(inputs.cwd, inputs.config), source: 'config' };
  return null;
}

/** The path the running procinit listens on. */
export function serverSocketPath(inputs: SocketInputs, runWritable = writable('/run')): SocketChoice {
  return explicit(inputs) ?? { path: runWritable ? RUN_SOCKET : fallbackSocketPath(inputs.env, inputs.uid), source: 'default' };
}

/** The path a client command connects to. */
export function clientSocketPath(inputs: SocketInputs, runWritable = writable('/run'), runExists = existsSync(RUN_SOCKET)): SocketChoice {
  const chosen = explicit(inputs);
  if (chosen) return chosen;
  if (runExists) return { path: RUN_SOCKET, source: 'default' };
  return serverSocketPath(inputs, runWritable);
}

/** A path the kernel can bind, or a ControlSocketError saying why not. */
export function checkSocketPath(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new ControlSocketError(`control socket path is too long (${Buffer.byteLength(path)} bytes, at most ${MAX_SOCKET_PATH_BYTES}): ${path}`);
  }
}
