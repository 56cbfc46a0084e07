/**
 * The control socket server: claims the socket path (a stale socket is replaced, a live one refused),
 * listens with mode 0600 from the first instant (umask around bind), hands each connection to a
 * Connection, and on close ends every stream and removes the socket file, if it is still ours.
 *
 * Bound and listening are one step, accepting another: procinit binds (native/listen.c) before its first
 * program starts and makes the net.Server only after (serve), because Node's net module and its streams
 * take about 4 ms to load. A client that connects in between waits in the kernel's backlog.
 */
import { chmodSync, closeSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:net';
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';
import { Connection, type CommandEntry } from './connection.js';
import { LineReader, type Hello } from './protocol.js';
import { checkSocketPath, ControlSocketError } from './socket-path.js';

/** Connections beyond this are closed by the kernel-facing accept loop at once. */
export const MAX_CONNECTIONS = 1024;

export interface ServerOptions {
  path: string;
  hello: Hello;
  commands: ReadonlyMap<string, CommandEntry>;
  onInternalError(cmd: string, err: unknown): void;
  /** Bind and listen, but accept only from serve() on (default: accept at once). */
  deferAccept?: boolean;
}

/** Node's net module, loaded when first needed (about 4 ms with its streams). */
function net(): typeof import('node:net') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:net') as typeof import('node:net');
}

interface ListenAddon {
  listenUnix(path: string, backlog: number): number;
}

/** procinit's addon, or null where it cannot load (then net binds, as it always could). */
function listenAddon(): ListenAddon | null {
  try {
    const addon = loadAddon(PROCINIT_ADDON) as Partial<ListenAddon>;
    return typeof addon.listenUnix === 'function' ? (addon as ListenAddon) : null;
  } catch {
    return null;
  }
}

const BACKLOG = 511;

function bindError(path: string, err: NodeJS.ErrnoException): ControlSocketError {
  const what =
    err.code === 'EADDRINUSE'
      ? `another procinit is already listening on ${path}: stop it or choose another --socket`
      : `cannot create the control socket ${path}: ${err.code ?? err.message}`;
  return new ControlSocketError(what, err.code === 'EADDRINUSE' ? 'in_use' : 'unusable');
}

export type Probe = { state: 'absent' } | { state: 'stale' } | { state: 'live'; pid: number | null };

/** Is something listening on this socket file? Reads the hello for the pid when it is a procinit. */
export function probeSocket(path: string, timeoutMs = 2000): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const sock = net().connect(path);
    let connected = false;
    const finish = (p: Probe): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => finish({ state: 'live', pid: null }), timeoutMs);
    const reader = new LineReader(
      (line) => {
        let pid: number | null = null;
        try {
          const hello = JSON.parse(line.toString('utf8')) as Partial<Hello>;
          if (hello.hello === 'procinit' && typeof hello.pid === 'number') pid = hello.pid;
        } catch {
          /* not a procinit */
        }
        finish({ state: 'live', pid });
      },
      () => finish({ state: 'live', pid: null }),
      4096,
    );
    sock.on('connect', () => {
      connected = true;
    });
    sock.on('data', (d: Buffer) => reader.push(d));
    sock.on('close', () => {
      if (connected) finish({ state: 'live', pid: null });
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) return;
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED') resolve({ state: 'stale' });
      else if (err.code === 'ENOENT') resolve({ state: 'absent' });
      else reject(new ControlSocketError(`cannot check the control socket ${path}: ${err.code ?? err.message}`));
    });
  });
}

/** Make the path free for us, or say why it is not. */
async function claim(path: string): Promise<void> {
  checkSocketPath(path);
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ControlSocketError(`cannot use the control socket ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (!st.isSocket()) throw new ControlSocketError(`${path} exists and is not a socket: remove it or choose another --socket`);
  const probe = await probeSocket(path);
  if (probe.state === 'live') {
    const who = probe.pid !== null ? `another procinit (pid ${probe.pid})` : 'another process';
    throw new ControlSocketError(`${who} is already listening on ${path}: stop it or choose another --socket`, 'in_use');
  }
  if (probe.state === 'stale') {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ControlSocketError(`cannot replace the stale control socket ${path}: ${(err as NodeJS.ErrnoException).code}`);
      }
    }
  }
}

export class ControlServer {
  private readonly connections = new Set<Connection>();
  private ino: number | null = null;
  private closing: Promise<void> | null = null;
  private server: Server | null = null;
  private readonly exitHook = (): void => this.unlinkIfOurs();

  private constructor(
    private readonly opts: ServerOptions,
    readonly path: string,
    /** The listening socket bound natively, until serve() hands it to a net.Server. */
    private boundFd: number | null,
  ) {}

  /** Claim the path and listen (mode 0600). Throws ControlSocketError with one readable line. */
  static async listen(opts: ServerOptions): Promise<ControlServer> {
    await claim(opts.path);
    const addon = listenAddon();
    let fd: number | null = null;
    if (addon) {
      try {
        fd = addon.listenUnix(opts.path, BACKLOG);
      } catch (err) {
        throw bindError(opts.path, err as NodeJS.ErrnoException);
      }
    }
    const control = new ControlServer(opts, opts.path, fd);
    if (fd === null) await control.listenWithNet();
    chmodSync(opts.path, 0o600);
    control.ino = statSync(opts.path).ino;
    process.on('exit', control.exitHook);
    if (!opts.deferAccept) control.serve();
    return control;
  }

  /** Start accepting connections (listen() does it itself unless deferAccept; later calls do nothing). */
  serve(): void {
    // null: served already, closed, or bound by net (which accepts at once)
    if (this.boundFd === null) return;
    this.makeServer().listen({ fd: this.boundFd, backlog: BACKLOG });
    this.boundFd = null;
  }

  private makeServer(): Server {
    const server = net().createServer({ allowHalfOpen: true });
    server.maxConnections = MAX_CONNECTIONS;
    server.on('connection', (socket) => {
      const conn = new Connection(socket, { hello: this.opts.hello, commands: this.opts.commands, onInternalError: this.opts.onInternalError });
      this.connections.add(conn);
      void conn.whenClosed().then(() => this.connections.delete(conn));
    });
    server.on('error', () => {
      /* accept errors (EMFILE) are transient; connections in progress are unaffected */
    });
    this.server = server;
    return server;
  }

  /** Without the addon: net binds and listens, under umask 177 so the file is 0600 from the first instant. */
  private listenWithNet(): Promise<void> {
    const server = this.makeServer();
    return new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(bindError(this.path, err));
      server.once('error', onError);
      server.once('listening', () => {
        server.off('error', onError);
        resolve();
      });
      const previous = process.umask(0o177);
      try {
        server.listen(this.path);
      } finally {
        process.umask(previous);
      }
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stop listening, end every stream and connection, remove the socket file. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      const server = this.server;
      const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
      if (this.boundFd !== null) {
        closeSync(this.boundFd); // never served: connections waiting in the backlog are refused
        this.boundFd = null;
      }
      this.unlinkIfOurs();
      const conns = [...this.connections];
      for (const c of conns) c.shutdown();
      await Promise.all([closed, ...conns.map((c) => c.whenClosed())]);
      process.off('exit', this.exitHook);
    })();
    return this.closing;
  }

  /** Remove the socket file unless another procinit has replaced it meanwhile. */
  private unlinkIfOurs(): void {
    if (this.ino === null) return;
    try {
      if (statSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
    this.ino = null;
  }
}
