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

/* The mode argument of sock_bind_unix when the caller leaves the umask alone. */
#define SOCK_KEEP_UMASK (-1)

/*
 * socket(AF_UNIX, type | SOCK_CLOEXEC) bound to path (len bytes, as napi_get_value_string_utf8 gave it):
 *   - an empty path, or one that does not fit sun_path, fails with ENAMETOOLONG (never truncated);
 *   - with abstract_ok, "@name" names an abstract socket (Linux): sun_path = NUL + name padded with NULs to
 *     its full size, the address Node's net.connect('\0name') uses; without it '@' is an ordinary character;
 *   - mode (not SOCK_KEEP_UMASK): the umask is ~mode & 0777 during bind, so the file has its mode from its
 *     first instant and no chmod(path) that could follow a swapped-in symlink is needed.
 * Returns the fd, or -errno with *what naming the call that failed ("socket" or "bind"); nothing is left
 * open on failure.
 */
int sock_bind_unix(const char *path, size_t len, int type, int abstract_ok, int mode, const char **what);

#endif
