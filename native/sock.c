/*
 * Unix socket set-up shared by listen.c and notify.c: see sock.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "sock.h"

static const char *errno_code(int e) {
  switch (e) {
    case EADDRINUSE: return "EADDRINUSE";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EROFS: return "EROFS";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case ENOSPC: return "ENOSPC";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EINVAL: return "EINVAL";
    case EWOULDBLOCK: return "EWOULDBLOCK";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EISDIR: return "EISDIR";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

napi_value sock_throw(napi_env env, int e, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, errno_code(e), msg);
  return NULL;
}

int sock_bind_unix(const char *path, size_t len, int type, int abstract_ok, int mode, const char **what) {
  struct sockaddr_un addr;
  *what = "bind";
  if (len == 0 || len >= sizeof addr.sun_path) return -ENAMETOOLONG;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, len + 1);
  if (abstract_ok && path[0] == '@') addr.sun_path[0] = '\0';

  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *what = "socket";
    return -errno;
  }
  mode_t previous = 0;
  if (mode != SOCK_KEEP_UMASK) previous = umask(~(mode_t)mode & 0777);
  int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  int bind_errno = errno;
  if (mode != SOCK_KEEP_UMASK) umask(previous);
  if (rc != 0) {
    close(fd);
    return -bind_errno;
  }
  return fd;
}
