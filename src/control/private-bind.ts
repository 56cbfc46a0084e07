/**
 * A net.Server on a Unix socket file that has its mode (and owner) from its first instant, without the
 * process-wide umask and without a chmod or chown through a path someone could swap for a symlink: the
 * server listens in a folder of its own that mkdtemp makes beside the path (mode 0700: nobody else can
 * enter it, and it is on the path's file system), the socket is chowned and chmodded there, then linked to
 * the path (link(2) refuses an existing file: EADDRINUSE, as bind would say) and its name in the folder
 * removed. native/sock.c does the same for the addon's sockets (with rename(2)); this is the path for
 * sockets that Node's net binds (supervisord's [unix_http_server], the control socket without the addon).
 *
 * The umask is the whole process's: set around bind, a log file libuv's threadpool or a spawned program
 * creates at that moment gets the socket's mode instead of its own.
 */
import { chmodSync, lchownSync, linkSync, mkdtempSync, rmdirSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:net';
import { basename, dirname, join } from 'node:path';

/** The longest sun_path bind accepts (108 bytes with its NUL). */
const SUN_PATH_MAX = 107;

function listenOn(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * A path too long for the private folder's name (no /proc/self/fd/N short name as native/sock.c uses: libuv
 * unlinks the name it bound at close, and by then N may be another folder): bound in place, then chmodded
 * and chowned through the path, which the caller's folder check (socket-dir.ts: nobody else may replace a
 * file there) keeps from being swapped; until then the file has the umask's mode.
 */
async function listenInPlace(server: Server, path: string, mode: number, owner: { uid: number; gid: number } | null): Promise<void> {
  try {
    await listenOn(server, path);
    if (owner) lchownSync(path, owner.uid, owner.gid);
    chmodSync(path, mode);
  } catch (err) {
    if (server.listening) server.close();
    throw err;
  }
}

/** Listen on `path` with `mode` (and `owner`) from the first instant. Rejects with the errno as `code`. */
export async function listenPrivately(server: Server, path: string, mode: number, owner: { uid: number; gid: number } | null = null): Promise<void> {
  // DIR/.NAME.bind-XXXXXX: /proc/net/unix names the path a socket was bound to, and a client finds a live
  // NAME by that pattern (socket-path.ts, boundNames)
  if (Buffer.byteLength(join(dirname(path), `.${basename(path)}.bind-XXXXXX`, 's')) > SUN_PATH_MAX) return listenInPlace(server, path, mode, owner);
  const folder = mkdtempSync(join(dirname(path), `.${basename(path)}.bind-`));
  const inside = join(folder, 's');
  try {
    await listenOn(server, inside);
    // nobody else can enter the folder: these change the socket we bound, nothing swapped in
    if (owner) lchownSync(inside, owner.uid, owner.gid);
    chmodSync(inside, mode);
    linkSync(inside, path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') e.code = 'EADDRINUSE';
    if (server.listening) server.close();
    throw e;
  } finally {
    try {
      unlinkSync(inside);
    } catch {
      /* never bound */
    }
    rmdirSync(folder);
  }
}
