/**
 * [fcgi-program:x] sockets: one listening socket per group, made when its first process starts (as
 * supervisord's SocketManager does) and given to every process of the group as its fd 0. unix:// sockets
 * are made as supervisord makes them: a stale file at the path is removed, the socket is bound, chowned to
 * socket_owner (or to the program's user=) and chmodded to socket_mode (default 0700) in a private folder
 * beside the path, then renamed into place, so it has its owner and mode from its first instant; tcp:// ones are IPv4 with SO_REUSEADDR. Backlog: socket_backlog, else SOMAXCONN (4096).
 *
 * Unlike supervisord, which closes a socket when the last process using it has ended and makes it again at
 * the next start, procinit keeps it open until the run ends, then closes it and removes a unix socket's file:
 * connections that arrive while a FastCGI program restarts wait in the backlog instead of being refused.
 */
import { closeSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { socketDirProblem } from '../control/socket-dir.js';
import type { FcgiSocketSpec, ProcessSpec } from '../config/model.js';
import type { Logger } from '../output/log.js';
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';
import { LaunchError, type StdinSource } from '../supervisor/spawn.js';
import { resolveUser } from '../supervisor/user.js';

interface ListenAddon {
  /** Bound in a private folder, chowned (-1: unchanged) and chmodded there, renamed into place (native/sock.h). */
  listenUnix(path: string, backlog: number, mode: number, uid: number, gid: number): number;
  listenTcp(host: string, port: number, backlog: number): number;
}

const SOMAXCONN = 4096;

export class FcgiSockets implements StdinSource {
  private readonly open = new Map<string, { fd: number; spec: FcgiSocketSpec }>();

  constructor(private readonly log: Logger) {}

  fdFor(spec: ProcessSpec): number | null {
    const s = spec.fcgiSocket;
    if (!s) return null;
    const known = this.open.get(s.group);
    if (known) return known.fd;
    const fd = this.make(s, spec);
    this.open.set(s.group, { fd, spec: s });
    return fd;
  }

  /** The run is over: close every socket, remove unix sockets' files. */
  close(): void {
    for (const { fd, spec } of this.open.values()) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      if (spec.kind === 'unix') removeSocketFile(spec.path);
    }
    this.open.clear();
  }

  private make(s: FcgiSocketSpec, process: ProcessSpec): number {
    const addon = loadAddon(PROCINIT_ADDON) as Partial<ListenAddon>;
    if (typeof addon.listenUnix !== 'function' || typeof addon.listenTcp !== 'function') {
      throw new LaunchError(`${process.name}: cannot make its FastCGI socket: procinit's native addon is not loaded`);
    }
    const backlog = s.backlog ?? SOMAXCONN;
    const url = s.kind === 'unix' ? `unix://${s.path}` : `tcp://${s.host}:${s.port}`;
    this.log.info(`Creating socket ${url}`);
    if (s.kind === 'tcp') {
      try {
        return addon.listenTcp(s.host.toLowerCase(), s.port, backlog);
      } catch (err) {
        throw new LaunchError(`${process.name}: cannot listen on ${url}: ${(err as Error).message}`);
      }
    }
    // whoever may write to the folder could swap the socket for a symlink between bind and chown: checked
    // as the control socket's folder is
    const dirProblem = socketDirProblem(dirname(s.path));
    if (dirProblem !== null) throw new LaunchError(`${process.name}: will not make its FastCGI socket ${s.path}: ${dirProblem}`);
    // supervisord: socket_owner, else the program's user when it is not procinit's own
    let owner: { uid: number; gid: number } | null;
    try {
      owner = s.owner ? ownerIds(s.owner) : process.user !== null ? userIds(process.user) : null;
    } catch (err) {
      throw new LaunchError(`${process.name}: cannot set the owner or mode of ${s.path}: ${(err as Error).message}`);
    }
    if (!s.owner && owner && owner.uid === globalThis.process.getuid?.()) owner = null;
    removeSocketFile(s.path);
    let fd: number;
    try {
      // made in a private folder beside the path with its owner and mode, then renamed into place
      // (native/sock.h): no chmod or chown through a path, no process-wide umask
      fd = addon.listenUnix(s.path, backlog, s.mode, owner?.uid ?? -1, owner?.gid ?? -1);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (/^(chown|chmod):/.test(e.message)) throw new LaunchError(`${process.name}: cannot set the owner or mode of ${s.path}: ${e.code ?? e.message}`);
      throw new LaunchError(`${process.name}: cannot listen on ${url}: ${e.message}`);
    }
    return fd;
  }
}

function userIds(user: string): { uid: number; gid: number } {
  const u = resolveUser(user);
  return { uid: u.uid, gid: u.gid };
}

/** socket_owner `user[:group]`: the user's uid, the group's gid (or -1: unchanged). */
function ownerIds(owner: { user: string; group: string | null }): { uid: number; gid: number } {
  const uid = resolveUser(owner.user).uid;
  if (owner.group === null) return { uid, gid: -1 };
  return { uid, gid: groupId(owner.group) };
}

function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === group && f[2] !== undefined) return Number(f[2]);
  }
  throw new Error(`no group ${JSON.stringify(group)}`);
}

/** supervisord removes whatever is at a unix socket's path before binding it (a stale socket). */
function removeSocketFile(path: string): void {
  try {
    lstatSync(path);
    unlinkSync(path);
  } catch {
    // nothing there
  }
}
