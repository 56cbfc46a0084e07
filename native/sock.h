#ifndef PROCINIT_SOCK_H
#define PROCINIT_SOCK_H
#include <stddef.h>
#include <node_api.h>

/*
 * What listen.c (the control socket, FastCGI sockets) and notify.c (sd_notify sockets) share: a Unix
 * socket bound to a path with the safety checks, and the errors named by their errno.
 */

/* Throw an Error whose code is the errno name (EADDRINUSE, EACCES, ENOENT, ...; EIO for the rest) and whose
 * message is "what: strerror(e)". Returns NULL, for `return sock_throw(...)`. */
napi_value sock_throw(napi_env env, int e, const char *what);

/* The mode argument of sock_bind_unix for a plain bind (the file's mode is 0777 & ~umask). */
#define SOCK_KEEP_UMASK (-1)

/*
 * socket(AF_UNIX, type | SOCK_CLOEXEC) bound to path (len bytes, as napi_get_value_string_utf8 gave it), and
 * listening when backlog >= 0:
 *   - an empty path, or one that does not fit sun_path, fails with ENAMETOOLONG (never truncated);
 *   - with abstract_ok, "@name" names an abstract socket (Linux): sun_path = NUL + name padded with NULs to
 *     its full size, the address Node's net.connect('\0name') uses; without it '@' is an ordinary character;
 *   - mode (not SOCK_KEEP_UMASK), for a file socket: the socket is bound in a folder of its own that mkdtemp
 *     makes beside path (DIR/.NAME.bind-XXXXXX/s) (mode 0700, so on the same file system and closed to everyone else), chowned to
 *     uid:gid there (-1: unchanged), chmodded to mode, set listening, then renamed into place at once
 *     (renameat2 RENAME_NOREPLACE, or link(2) where the file system lacks it: an existing file at path is
 *     EADDRINUSE, as bind would say), and the folder removed. So the file at path has its mode and owner from
 *     its first instant, no chmod or chown ever goes through a path someone else could have swapped for a
 *     symlink, and the process-wide umask is never touched (a file another thread creates meanwhile, a log
 *     file on libuv's threadpool, keeps its own mode). When the folder's path is too long for sun_path, it is
 *     bound as /proc/self/fd/N/s. getsockname() and /proc/net/unix name the path it was bound to
 *     (src/control/socket-path.ts boundNames matches it to path).
 * Returns the fd, or -errno with *what naming the call that failed ("socket", "bind", "chown", "chmod",
 * "listen", "rename"); nothing is left open or on disk on failure.
 */
int sock_bind_unix(const char *path, size_t len, int type, int abstract_ok, int mode, int uid, int gid, int backlog, const char **what);

#endif
