/**
 * The control socket server: checks the socket's folder (socket-dir.ts), takes the lock beside the socket
 * (PATH.lock, flock, held for procinit's life) and only then claims the path (a stale socket is replaced,
 * a live one refused), listens with mode 0600 from the first instant (bound and chmodded in a private folder
 * beside the path, then renamed into place: no process-wide umask, nothing chmod-ed or stat-ed through a
 * path that could be a symlink), checks each client's credentials
 * (SO_PEERCRED: procinit's own uid or root, else one error line and the connection closed), hands each
 * connection to a Connection under the shared limits of a ConnectionPool, and on close ends every stream
 * and removes the socket file, if it is still ours. An abstract socket ("@name") has no file, no lock and
 * no stale state: the kernel refuses a second bind.
 *
 * Bound and listening are one step, accepting another: procinit binds (native/listen.c) before its first
 * program starts and makes the net.Server only after (serve), because Node's net module and its streams
 * take about 4 ms to load. A client that connects in between waits in the kernel's backlog.
 */
import { closeSync, fstatSync, lstatSync, unlinkSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { Connection, type CommandEntry } from './connection.js';
import { socketAddon } from './native-socket.js';
import { listenPrivately } from './private-bind.js';
import { ConnectionPool, MAX_CONNECTIONS } from './pool.js';
import { encode, LineReader, type Hello } from './protocol.js';
import { checkSocketPath, ControlSocketError, isAbstract, netAddress } from './socket-path.js';

export { MAX_CONNECTIONS };

export interface ServerOptions {
  path: string;
  hello: Hello;
  commands: ReadonlyMap<string, CommandEntry>;
  onInternalError(cmd: string, err: unknown): void;
  /** Bind and listen, but accept only from serve() on (default: accept at once). */
  deferAccept?: boolean;
  /** Limits shared with procinit's other control sockets (default: a pool of this server's own). */
  pool?: ConnectionPool;
  /** Check the socket's folder (socket-dir.ts); default true. */
  checkDir?: boolean;
}

/** Node's net module, loaded when first needed (about 4 ms with its streams). */
function net(): typeof import('node:net') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:net') as typeof import('node:net');
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
    const sock = net().connect(netAddress(path));
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

/**
 * Who listens on path, asked of the kernel (SO_PEERCRED of a connected client socket is the listener's pid
 * at listen()): answers as soon as connect() does, where waiting for a hello would wait for a procinit
 * that has bound but accepts only once its programs started (deferAccept), 2 s under load. null when
 * nothing listens or the kernel does not say.
 */
function listenerPid(path: string): Promise<number | null> {
  const addon = socketAddon();
  return new Promise((resolve) => {
    const sock = net().connect(netAddress(path));
    const done = (pid: number | null): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(pid);
    };
    // connect() on a Unix socket answers at once (queued, refused or absent); this only bounds the odd case
    const timer = setTimeout(() => done(null), 2000);
    sock.on('connect', () => {
      const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
      let pid: number | null = null;
      try {
        if (addon && typeof fd === 'number' && fd >= 0) pid = addon.peerCred(fd)[0] || null;
      } catch {
        pid = null;
      }
      done(pid);
    });
    sock.on('error', () => done(null));
  });
}

/** Lock PATH.lock (held until closed), or say who holds it. Null without the addon. */
async function lock(path: string): Promise<number | null> {
  const addon = socketAddon();
  if (!addon) return null;
  const lockPath = `${path}.lock`;
  let fd: number;
  let owner: number;
  try {
    [fd, owner] = addon.lockFile(lockPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EWOULDBLOCK') {
      // another procinit is starting or running here (only procinit takes the lock): say which, when it
      // already listens (no wait for its hello: that comes only once its programs have started)
      const pid = await listenerPid(path);
      if (pid !== null) {
        throw new ControlSocketError(`another procinit (pid ${pid}) is already listening on ${path}: stop it or choose another --socket`, 'in_use');
      }
      throw new ControlSocketError(`another procinit is starting on ${path} (it holds ${lockPath}): stop it or choose another --socket`, 'in_use');
    }
    if (code === 'ELOOP') throw new ControlSocketError(`cannot use the control socket ${path}: ${lockPath} is a symlink: remove it`);
    throw new ControlSocketError(`cannot lock the control socket ${path} (${lockPath}): ${code ?? (err as Error).message}`);
  }
  const me = process.getuid?.() ?? 0;
  if (owner !== me) {
    closeSync(fd);
    throw new ControlSocketError(`cannot use the control socket ${path}: ${lockPath} belongs to uid ${owner}, not to procinit's uid ${me}: remove it`);
  }
  return fd;
}

/** Make the path free for us, or say why it is not. Called with the lock held. */
async function claim(path: string): Promise<void> {
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

/** SO_PEERCRED of a socket net accepted: [pid, uid]; null without the addon, uid -1 when it failed. */
function credentials(socket: Socket): [number, number] | null {
  const addon = socketAddon();
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!addon || typeof fd !== 'number' || fd < 0) return null;
  try {
    const [pid, uid] = addon.peerCred(fd);
    return [pid, uid];
  } catch {
    return [-1, -1];
  }
}

/** Who may use the socket: procinit's own uid and root (null: no word from the kernel, without the addon). */
function refusal(cred: [number, number] | null): string | null {
  if (cred === null) return null;
  const [pid, uid] = cred;
  if (uid < 0) return 'cannot tell who is connecting (SO_PEERCRED failed)';
  const me = process.getuid?.() ?? 0;
  if (uid === me || uid === 0) return null;
  return `uid ${uid} (pid ${pid}) may not use this procinit: it runs as uid ${me}, and only that uid and root may`;
}

/**
 * Connections taken from the kernel's queue per call (drainQueue): its whole length (the backlog, capped
 * by net.core.somaxconn) in one turn.
 */
const DRAIN_MAX = BACKLOG + 1;
/** Accepted connections waiting to be set up, at most (the connection limit's worth). */
const MAX_STASHED = MAX_CONNECTIONS;
/** Connections set up per turn of the event loop (the rest wait in the stash, accepted). */
const ADMIT_PER_TURN = 32;

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* gone */
  }
}

export class ControlServer {
  private readonly pool: ConnectionPool;
  private readonly connections = new Set<Connection>();
  private ino: number | null = null;
  private lockFd: number | null = null;
  private closing: Promise<void> | null = null;
  private server: Server | null = null;
  /** The listening socket's descriptor while a net.Server accepts on it (for drainQueue). */
  private listenFd: number | null = null;
  private readonly exitHook = (): void => this.unlinkIfOurs();

  private constructor(
    private readonly opts: ServerOptions,
    readonly path: string,
    /** The listening socket bound natively, until serve() hands it to a net.Server. */
    private boundFd: number | null,
  ) {
    this.pool = opts.pool ?? new ConnectionPool();
  }

  /** Claim the path and listen (mode 0600). Throws ControlSocketError with one readable line. */
  static async listen(opts: ServerOptions): Promise<ControlServer> {
    const abstract = isAbstract(opts.path);
    checkSocketPath(opts.path, opts.checkDir ?? true);
    const addon = socketAddon();
    if (abstract && !addon) {
      throw new ControlSocketError(`cannot offer the abstract socket ${opts.path}: it needs procinit's native addon to check who connects`);
    }
    const lockFd = abstract ? null : await lock(opts.path);
    let fd: number | null = null;
    try {
      if (!abstract) await claim(opts.path);
      if (addon) {
        try {
          fd = addon.listenUnix(opts.path, BACKLOG);
        } catch (err) {
          throw bindError(opts.path, err as NodeJS.ErrnoException);
        }
      }
    } catch (err) {
      if (lockFd !== null) closeSync(lockFd);
      throw err;
    }
    const control = new ControlServer(opts, opts.path, fd);
    control.lockFd = lockFd;
    if (fd === null) {
      try {
        await control.listenWithNet();
      } catch (err) {
        control.releaseLock();
        throw err;
      }
    }
    // the file's identity, without following a symlink: the folder is checked, so nobody else could have
    // replaced it since bind (a sticky folder keeps others from renaming or removing our files)
    if (!abstract) {
      try {
        control.ino = lstatSync(opts.path).ino;
      } catch {
        control.ino = null;
      }
    }
    process.on('exit', control.exitHook);
    if (!opts.deferAccept) control.serve();
    return control;
  }

  /** Start accepting connections (listen() does it itself unless deferAccept; later calls do nothing). */
  serve(): void {
    // null: served already, closed, or bound by net (which accepts at once)
    if (this.boundFd === null) return;
    this.makeServer().listen({ fd: this.boundFd, backlog: BACKLOG });
    this.listenFd = this.boundFd;
    this.boundFd = null;
  }

  private makeServer(): Server {
    const server = net().createServer({ allowHalfOpen: true });
    server.on('connection', (socket) => {
      this.admit(socket, credentials(socket));
      this.drainQueue();
    });
    server.on('error', () => {
      /* accept errors (EMFILE) are transient; connections in progress are unaffected */
    });
    this.server = server;
    return server;
  }

  /** A connected client: refused (uid, room) or handed to a Connection. */
  private admit(socket: Socket, cred: [number, number] | null): void {
    const refused = refusal(cred);
    if (refused !== null) return void refuse(socket, 'forbidden', refused);
    if (!this.pool.makeRoom()) {
      return void refuse(socket, 'busy', `${this.pool.size} connections are busy (at most ${this.pool.max}): try again`);
    }
    const conn = new Connection(socket, { hello: this.opts.hello, commands: this.opts.commands, onInternalError: this.opts.onInternalError, pool: this.pool });
    this.pool.add(conn);
    this.connections.add(conn);
    void conn.whenClosed().then(() => this.connections.delete(conn));
  }

  /**
   * Take every other connection waiting in the kernel's queue now. libuv accepts one per turn of the event
   * loop, and a turn serves the turn budget's requests and reads every readable connection: a storm of
   * hundreds of connections pipelining requests made a new client wait its turn behind each of them in the
   * queue (0.5-2 s under load). Called from net's connection event, so only when the socket is readable.
   * What is taken is set up ADMIT_PER_TURN at a time, newest first (admitSome).
   */
  private drainQueue(): void {
    const addon = socketAddon();
    if (this.listenFd === null || this.closing !== null || !addon?.acceptConnections) return;
    const room = Math.min(DRAIN_MAX, MAX_STASHED - this.stash.length / 3);
    if (room <= 0) return; // libuv goes on taking one a turn
    let got: Int32Array;
    try {
      got = addon.acceptConnections(this.listenFd, room);
    } catch {
      return; // libuv meets the same error at its next accept and reports it
    }
    for (const v of got) this.stash.push(v);
    this.admitSome();
  }

  /** Accepted from the kernel's queue and not yet set up: [fd, pid, uid] each, the newest last. */
  private stash: number[] = [];
  private admitScheduled = false;

  /**
   * Set up ADMIT_PER_TURN of the stashed connections, newest first (adaptive LIFO: under a storm the one
   * that came last is the lone client, a HEALTHCHECK, more often than not; the storm's own came before it),
   * and the rest in the following turns. Setting up 400 at once took 45 ms of CPU ahead of the new client;
   * and the order they are set up in is the order their first bytes are read in the next turn, so the new
   * client is read, and answered, before the storm's 64 KiB each.
   */
  private admitSome(): void {
    const { Socket: NetSocket } = net();
    for (let n = 0; n < ADMIT_PER_TURN && this.stash.length >= 3; n++) {
      const uid = this.stash.pop()!;
      const pid = this.stash.pop()!;
      const fd = this.stash.pop()!;
      let socket: Socket;
      try {
        socket = new NetSocket({ fd, readable: true, writable: true, allowHalfOpen: true });
      } catch {
        closeQuietly(fd);
        continue;
      }
      this.admit(socket, [pid, uid]);
    }
    if (this.stash.length > 0 && !this.admitScheduled) {
      this.admitScheduled = true;
      setImmediate(() => {
        this.admitScheduled = false;
        if (this.closing === null) this.admitSome();
      });
    }
  }

  /** Without the addon: net listens in a private folder, the socket is chmodded 0600 there, then linked into place. */
  private async listenWithNet(): Promise<void> {
    try {
      await listenPrivately(this.makeServer(), this.path, 0o600);
    } catch (err) {
      throw bindError(this.path, err as NodeJS.ErrnoException);
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stop listening, end every stream and connection, remove the socket file. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      const server = this.server;
      this.listenFd = null;
      const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
      if (this.boundFd !== null) {
        closeSync(this.boundFd); // never served: connections waiting in the backlog are refused
        this.boundFd = null;
      }
      this.unlinkIfOurs();
      this.releaseLock();
      // accepted but never set up: closed without a word, as a backlog is
      while (this.stash.length >= 3) {
        this.stash.length -= 2;
        closeQuietly(this.stash.pop()!);
      }
      this.stash = [];
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
      if (lstatSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
    this.ino = null;
  }

  /** The lock file stays (removing it would let two procinits lock two different files); the lock goes. */
  private releaseLock(): void {
    if (this.lockFd === null) return;
    try {
      fstatSync(this.lockFd); // still ours: closing it releases the flock
      closeSync(this.lockFd);
    } catch {
      /* closed already */
    }
    this.lockFd = null;
  }
}

/** Say no in one line the client prints, then close. */
function refuse(socket: Socket, code: 'forbidden' | 'busy', message: string): void {
  socket.on('error', () => {});
  socket.end(encode({ id: null, error: { code, message } }));
  const t = setTimeout(() => socket.destroy(), 1000);
  t.unref();
  socket.once('close', () => clearTimeout(t));
}
