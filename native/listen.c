/*
 * The control socket's part of procinit's addon (native/addon.c).
 *
 *   listenUnix(path, backlog[, mode[, uid, gid]]) -> fd
 *       socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC), bound in a private folder beside path, chowned to uid:gid
 *       (-1 or absent: unchanged), chmodded to mode (default 0600), listening, then renamed to path
 *       (sock.h): the file has its mode and owner from its first instant (no window in which another user
 *       could connect, nothing changed through a path that could be a symlink) and the process umask is
 *       never touched. The fd goes to a
 *       net.Server (server.listen({ fd })) once the programs have started: Node's net module and its
 *       streams take about 4 ms to load, and connections that come meanwhile wait in the backlog.
 *       A path starting with '@' names an abstract socket (Linux): no file, no permissions, gone when closed.
 *       Throws an Error whose code is the errno name (EADDRINUSE, EACCES, ENOENT, ...).
 *       mode, uid, gid: FastCGI's socket_mode and socket_owner.
 *
 *   lockFile(path) -> [fd, uid]
 *       open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) and flock(LOCK_EX | LOCK_NB): the lock
 *       beside the socket, held (fd open) for procinit's life, so that two procinits started together on a
 *       stale socket cannot both decide it is stale. uid is the file's owner (fstat), so the caller refuses a
 *       lock file another user planted. Throws EWOULDBLOCK when another process holds the lock.
 *
 *   peerCred(fd) -> [pid, uid, gid]
 *       getsockopt(SO_PEERCRED) of a connected socket: who is at the other end, as the kernel saw it at
 *       connect(). Throws on a descriptor that is not a Unix socket.
 *
 *   acceptConnections(fd, max) -> Int32Array [fd, pid, uid, fd, pid, uid, ...]
 *       accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) on a listening socket in a tight loop, up to max connections or
 *       until the kernel's queue is empty (EAGAIN), each with its SO_PEERCRED (pid and uid -1 when the kernel
 *       does not say). libuv accepts one connection per turn of the event loop (libuv 1.45, PR #3696), and a
 *       turn can be long while hundreds of connections pipeline requests: a new client then waits in the
 *       kernel's queue behind all of them, one turn each (2 s in a 400-connection storm). The server calls
 *       this from its connection handler to take the whole queue in the same turn. Errors other than EAGAIN
 *       end the loop (EMFILE: what was accepted is returned; libuv reports the error at its next accept).
 *
 *   listenTcp(host, port, backlog) -> fd
 *       An [fcgi-program:x]'s tcp:// socket, as supervisord makes it: socket(AF_INET, SOCK_STREAM |
 *       SOCK_CLOEXEC), SO_REUSEADDR, bind to host (an IPv4 literal or a name getaddrinfo resolves to IPv4),
 *       listen(backlog). Blocking, as the FastCGI programs that get it as their fd 0 expect.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "addon.h"
#include "sock.h"

static napi_value listen_unix(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char path[4096];
  size_t len = 0;
  int32_t backlog = 511;
  int32_t mode = 0600;
  int32_t uid = -1, gid = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_error(env, NULL, "listenUnix(path, backlog[, mode[, uid, gid]])");
    return NULL;
  }
  if (argc >= 2) napi_get_value_int32(env, argv[1], &backlog);
  if (argc >= 3) napi_get_value_int32(env, argv[2], &mode);
  if (argc >= 4) napi_get_value_int32(env, argv[3], &uid);
  if (argc >= 5) napi_get_value_int32(env, argv[4], &gid);
  const char *what;
  int fd = sock_bind_unix(path, len, SOCK_STREAM, 1, mode & 0777, uid, gid, backlog < 0 ? 0 : backlog, &what);
  if (fd < 0) return sock_throw(env, -fd, what);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value lock_file(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len == 0) {
    napi_throw_error(env, NULL, "lockFile(path)");
    return NULL;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
  if (fd < 0) return sock_throw(env, errno, "open");
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return sock_throw(env, e, "fstat");
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return sock_throw(env, EISDIR, "lock file is not a regular file");
  }
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(fd);
    return sock_throw(env, e, "flock");
  }
  napi_value result, v;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, fd, &v);
  napi_set_element(env, result, 0, v);
  napi_create_uint32(env, (uint32_t)st.st_uid, &v);
  napi_set_element(env, result, 1, v);
  return result;
}

static napi_value peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_error(env, NULL, "peerCred(fd)");
    return NULL;
  }
  struct ucred cred;
  socklen_t size = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) return sock_throw(env, errno, "getsockopt");
  napi_value result, v;
  napi_create_array_with_length(env, 3, &result);
  napi_create_int32(env, cred.pid, &v);
  napi_set_element(env, result, 0, v);
  napi_create_uint32(env, cred.uid, &v);
  napi_set_element(env, result, 1, v);
  napi_create_uint32(env, cred.gid, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

static napi_value accept_connections(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1, max = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &max) != napi_ok ||
      fd < 0 || max < 0) {
    napi_throw_error(env, NULL, "acceptConnections(fd, max)");
    return NULL;
  }
  if (max > 4096) max = 4096;
  int32_t *got = max > 0 ? malloc(sizeof(int32_t) * 3 * (size_t)max) : NULL;
  if (max > 0 && got == NULL) return sock_throw(env, ENOMEM, "acceptConnections");
  int n = 0;
  while (n < max) {
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      break; /* EAGAIN: the queue is empty; anything else: libuv sees it at its next accept */
    }
    struct ucred cred;
    socklen_t size = sizeof cred;
    if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) {
      cred.pid = -1;
      cred.uid = (uid_t)-1;
    }
    got[3 * n] = c;
    got[3 * n + 1] = cred.pid;
    got[3 * n + 2] = (int32_t)cred.uid;
    n++;
  }
  napi_value buffer, result;
  void *data = NULL;
  if (napi_create_arraybuffer(env, sizeof(int32_t) * 3 * (size_t)n, &data, &buffer) != napi_ok) {
    for (int i = 0; i < n; i++) close(got[3 * i]);
    free(got);
    return NULL;
  }
  if (n > 0) memcpy(data, got, sizeof(int32_t) * 3 * (size_t)n);
  free(got);
  napi_create_typedarray(env, napi_int32_array, (size_t)3 * n, buffer, 0, &result);
  return result;
}

static napi_value listen_tcp(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char host[256];
  size_t len = 0;
  int32_t port = 0;
  int32_t backlog = 128;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], host, sizeof host, &len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 0 || port > 65535) {
    napi_throw_error(env, NULL, "listenTcp(host, port, backlog)");
    return NULL;
  }
  if (argc >= 3) napi_get_value_int32(env, argv[2], &backlog);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int gai = getaddrinfo(host, NULL, &hints, &res);
  if (gai != 0 || res == NULL) {
    char msg[400];
    snprintf(msg, sizeof msg, "cannot resolve %s: %s", host, gai_strerror(gai));
    napi_throw_error(env, "ENOTFOUND", msg);
    return NULL;
  }
  struct sockaddr_in addr;
  memcpy(&addr, res->ai_addr, sizeof addr);
  freeaddrinfo(res);
  addr.sin_port = htons((uint16_t)port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sock_throw(env, errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    return sock_throw(env, e, "bind");
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

void listen_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"acceptConnections", NULL, accept_connections, NULL, NULL, NULL, napi_default, NULL},
      {"listenTcp", NULL, listen_tcp, NULL, NULL, NULL, napi_default, NULL},
      {"listenUnix", NULL, listen_unix, NULL, NULL, NULL, napi_default, NULL},
      {"lockFile", NULL, lock_file, NULL, NULL, NULL, napi_default, NULL},
      {"peerCred", NULL, peer_cred, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
