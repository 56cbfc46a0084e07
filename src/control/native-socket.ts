/**
 * The control socket's native calls (native/listen.c), or null where procinit's addon cannot load: then
 * net binds (in a private folder, mode 0600, as the addon does: control/private-bind.ts), there is no lock beside the socket and no peer check
 * (the file's mode 0600 still keeps other users out; an abstract socket is not offered at all).
 */
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';

export interface SocketAddon {
  /** Bind and listen; "@name" for an abstract socket. Throws with the errno name as code. */
  listenUnix(path: string, backlog: number): number;
  /** Open (O_NOFOLLOW, 0600) and flock(LOCK_EX|LOCK_NB): [fd, owner uid]. Throws EWOULDBLOCK when held. */
  lockFile(path: string): [number, number];
  /** SO_PEERCRED of a connected socket: [pid, uid, gid]. */
  peerCred(fd: number): [number, number, number];
  /**
   * Take up to max connections waiting in a listening socket's queue, in one go (libuv takes one per turn
   * of the event loop): [fd, pid, uid] per connection, flat; uid -1 when SO_PEERCRED failed.
   * Missing in an addon built before it (then libuv's one per turn it is).
   */
  acceptConnections?(fd: number, max: number): Int32Array;
  /** A compacting GC, then malloc_trim(0) (native/memory.cc). */
  trimMemory(): boolean;
}

let cached: SocketAddon | null | undefined;

export function socketAddon(): SocketAddon | null {
  if (cached === undefined) {
    try {
      const addon = loadAddon(PROCINIT_ADDON) as Partial<SocketAddon>;
      cached = typeof addon.listenUnix === 'function' && typeof addon.lockFile === 'function' && typeof addon.peerCred === 'function' && typeof addon.trimMemory === 'function' ? (addon as SocketAddon) : null;
    } catch {
      cached = null;
    }
  }
  return cached;
}
