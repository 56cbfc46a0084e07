/**
 * Where the control socket lives. The server and the client follow the same rules, so
 * `docker exec ctr procinit status` finds the socket from any folder and as any user procinit lets in:
 *
 *   --socket PATH  >  $PROCINIT_SOCKET  >  the config's `[procinit] socket`  >
 *   /run/procinit.sock (when /run is writable and safe)  >  ${XDG_RUNTIME_DIR:-/tmp}/procinit-<uid>.sock  >
 *   /dev/shm/procinit-<uid>.sock (a read-only root: Docker's /dev/shm stays writable)
 *
 * and, when procinit is PID 1 or no file socket could be made (`docker run --read-only`), the abstract
 * socket @procinit-<pid namespace inode>: no file, so it works on a read-only root, and named after the
 * PID namespace, so that `docker exec` (which joins it) finds it whatever its uid and whatever the
 * server's. "@name" anywhere a socket path is given means an abstract socket.
 *
 * A client without --socket or $PROCINIT_SOCKET reads `[procinit] socket` from -c CONFIG or
 * $PROCINIT_CONFIG when given; else it takes /run/procinit.sock when that socket exists, else its own
 * uid's fallback file when it exists, else the abstract socket when one is listening, else any other
 * uid's procinit-<uid>.sock in the fallback folders that is live (`docker exec -u 0` into a `--user 1000`
 * container whose procinit could not load its addon).
 */
import { accessSync, constants, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { socketDirProblem } from './socket-dir.js';

export const RUN_SOCKET = '/run/procinit.sock';
/** The last folder for the default socket: Docker keeps /dev/shm writable (1777) under --read-only. */
export const SHM_DIR = '/dev/shm';

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

/** A usable default folder: writable by us, and safe (socket-dir.ts). */
function usableDir(dir: string): boolean {
  return writable(dir) && socketDirProblem(dir) === null;
}

/** "@name": an abstract socket (Linux), no file. */
export function isAbstract(path: string): boolean {
  return path.startsWith('@');
}

/** The address for Node's net: an abstract name is NUL + name. */
export function netAddress(path: string): string {
  return isAbstract(path) ? `\0${path.slice(1)}` : path;
}

/** @procinit-<inode of this PID namespace>, or null without /proc. */
export function abstractSocketName(readLink: (p: string) => string = readlinkSync): string | null {
  try {
    const m = /^pid:\[(\d+)\]$/.exec(readLink('/proc/self/ns/pid'));
    return m ? `@procinit-${m[1]}` : null;
  } catch {
    return null;
  }
}

/** Is something listening on this abstract name in our network namespace? (/proc/net/unix lists it.) */
export function abstractListening(name: string, read: () => string = () => readFileSync('/proc/net/unix', 'latin1')): boolean {
  let table: string;
  try {
    table = read();
  } catch {
    return false;
  }
  // listening sockets: flags 00010000 (__SO_ACCEPTCON); Node pads the name with NULs, shown as '@'
  const re = new RegExp(`^\\S+: \\S+ \\S+ 00010000 \\S+ \\S+ \\S+ ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}@*$`, 'm');
  return re.test(table);
}

function isSocketFile(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

/** ${XDG_RUNTIME_DIR:-/tmp}/procinit-<uid>.sock */
export function fallbackSocketPath(env: Record<string, string | undefined>, uid = process.getuid?.() ?? 0): string {
  const dir = env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR.trim() !== '' ? env.XDG_RUNTIME_DIR : '/tmp';
  return join(dir, `procinit-${uid}.sock`);
}

function given(cwd: string, path: string): string {
  return isAbstract(path) ? path : resolve(cwd, path);
}

function explicit(inputs: SocketInputs): SocketChoice | null {
  if (inputs.flag !== null && inputs.flag !== '') return { path: given(inputs.cwd, inputs.flag), source: '--socket' };
  const env = inputs.env.PROCINIT_SOCKET;
  if (env !== undefined && env !== '') return { path: given(inputs.cwd, env), source: '$PROCINIT_SOCKET' };
  if (inputs.config !== null && inputs.config !== '') return { path: given(inputs.cwd, inputs.config), source: 'config' };
  return null;
}

/** The path the running procinit listens on (its file socket; see also abstractSocketName). */
export function serverSocketPath(inputs: SocketInputs, runWritable = usableDir('/run'), usable: (dir: string) => boolean = usableDir): SocketChoice {
  const chosen = explicit(inputs);
  if (chosen) return chosen;
  if (runWritable) return { path: RUN_SOCKET, source: 'default' };
  const fallback = fallbackSocketPath(inputs.env, inputs.uid);
  if (!usable(dirname(fallback)) && usable(SHM_DIR)) return { path: shmSocketPath(inputs.uid), source: 'default' };
  return { path: fallback, source: 'default' };
}

/** /dev/shm/procinit-<uid>.sock */
export function shmSocketPath(uid = process.getuid?.() ?? 0): string {
  return join(SHM_DIR, `procinit-${uid}.sock`);
}

/** Sockets named procinit-<uid>.sock in the fallback folders, whatever the uid. */
function anyUidSockets(env: Record<string, string | undefined>): string[] {
  const dirs = [...new Set([dirname(fallbackSocketPath(env, 0)), SHM_DIR])];
  const out: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (/^procinit-\d+\.sock$/.test(n)) out.push(join(dir, n));
  }
  return out;
}

/** How a client looks around (replaceable in tests). */
export interface ClientLookup {
  isSocket(path: string): boolean;
  abstractName(): string | null;
  abstractListening(name: string): boolean;
  /** procinit-<uid>.sock files of any uid in the fallback folders. */
  otherSockets(env: Record<string, string | undefined>): string[];
  /** Is something listening on this socket file? (/proc/net/unix) */
  fileListening(path: string): boolean;
}

/**
 * The names /proc/net/unix may list a socket file under: its path, and the path it was bound to before it
 * was renamed into place (native/sock.c, private-bind.ts: DIR/.NAME.bind-XXXXXX/s).
 */
export function boundNames(path: string): RegExp {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash);
  const name = path.slice(slash + 1);
  return new RegExp(`^(?:${esc(path)}|${esc(dir)}/\\.${esc(name)}\\.bind-[A-Za-z0-9]{6}/s)$`);
}

/** Is a socket file listening? Its path (or the one it was bound to) is in /proc/net/unix with the listening flag. */
export function fileListening(path: string, read: () => string = () => readFileSync('/proc/net/unix', 'latin1')): boolean {
  const names = boundNames(path);
  try {
    return read()
      .split('\n')
      .some((l) => {
        const f = l.split(' ');
        return f[3] === '00010000' && f.length >= 8 && names.test(f.slice(7).join(' '));
      });
  } catch {
    return false;
  }
}

const realLookup: ClientLookup = {
  isSocket: isSocketFile,
  abstractName: () => abstractSocketName(),
  abstractListening: (n) => abstractListening(n),
  otherSockets: anyUidSockets,
  fileListening: (p) => fileListening(p),
};

/** The path a client command connects to. */
export function clientSocketPath(
  inputs: SocketInputs,
  runWritable = usableDir('/run'),
  runExists?: boolean,
  lookup: ClientLookup = realLookup,
): SocketChoice {
  const chosen = explicit(inputs);
  if (chosen) return chosen;
  if (runExists ?? lookup.isSocket(RUN_SOCKET)) return { path: RUN_SOCKET, source: 'default' };
  const own = serverSocketPath(inputs, runWritable);
  for (const mine of [fallbackSocketPath(inputs.env, inputs.uid), shmSocketPath(inputs.uid)]) {
    if (lookup.isSocket(mine)) return { path: mine, source: 'default' };
  }
  const abstract = lookup.abstractName();
  if (abstract !== null && lookup.abstractListening(abstract)) return { path: abstract, source: 'default' };
  const other = lookup.otherSockets(inputs.env).find((p) => lookup.fileListening(p));
  if (other !== undefined) return { path: other, source: 'default' };
  return own;
}

/** A path the kernel can bind in a folder that is safe, or a ControlSocketError saying why not. */
export function checkSocketPath(path: string, checkDir = true): void {
  if (isAbstract(path)) {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) throw new ControlSocketError(`abstract socket name is too long (${Buffer.byteLength(path)} bytes, at most ${MAX_SOCKET_PATH_BYTES}): ${path}`);
    return;
  }
  if (checkDir) {
    const problem = socketDirProblem(dirname(path));
    if (problem) throw new ControlSocketError(`cannot use the control socket ${path}: ${problem}`);
  }
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new ControlSocketError(`control socket path is too long (${Buffer.byteLength(path)} bytes, at most ${MAX_SOCKET_PATH_BYTES}): ${path}`);
  }
}
