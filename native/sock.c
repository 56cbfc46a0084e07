/*
 * Unix socket set-up shared by listen.c and notify.c: see sock.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "sock.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

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
    case EXDEV: return "EXDEV";
    default: return "EIO";
  }
}

napi_value sock_throw(napi_env env, int e, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, errno_code(e), msg);
  return NULL;
}

/* sun_path for path (len bytes), or -ENAMETOOLONG when it does not fit (never truncated). */
static int address(struct sockaddr_un *addr, const char *path, size_t len) {
  if (len == 0 || len >= sizeof addr->sun_path) return -ENAMETOOLONG;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  memcpy(addr->sun_path, path, len);
  return 0;
}

/* The socket is made in a folder of its own beside path, then renamed into place: see sock.h. */
static int bind_private(int fd, const char *path, size_t len, int mode, int uid, int gid, int backlog, const char **what) {
  char folder[4200];
  /* DIR/.NAME.bind-XXXXXX: /proc/net/unix names the path a socket was bound to, and a client finds a live
   * NAME by that pattern (src/control/socket-path.ts, boundNames) */
  const char *slash = strrchr(path, '/');
  int n = slash == NULL ? snprintf(folder, sizeof folder, ".%s.bind-XXXXXX", path)
                        : snprintf(folder, sizeof folder, "%.*s/.%s.bind-XXXXXX", (int)(slash - path), path, slash + 1);
  if (n < 0 || (size_t)n >= sizeof folder) return -ENAMETOOLONG;
  *what = "bind";
  /* mkdtemp: mode 0700, a name nobody else can have chosen; beside the target, so on its file system */
  if (mkdtemp(folder) == NULL) return -errno;
  int err = 0;
  int dfd = open(folder, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) {
    err = -errno;
    rmdir(folder);
    return err;
  }
  /* the folder's own path when it fits in sun_path, else the same folder through /proc/self/fd (short) */
  char inside[4300];
  struct sockaddr_un addr;
  snprintf(inside, sizeof inside, "%s/s", folder);
  if (address(&addr, inside, strlen(inside)) != 0) {
    snprintf(inside, sizeof inside, "/proc/self/fd/%d/s", dfd);
    address(&addr, inside, strlen(inside));
  }
  int placed = 0;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    err = -errno;
    goto out;
  }
  /* nobody else can enter the folder, so these name the socket we bound and nothing swapped in */
  if ((uid != -1 || gid != -1) && fchownat(dfd, "s", (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) != 0) {
    err = -errno;
    *what = "chown";
    goto out;
  }
  if (fchmodat(dfd, "s", (mode_t)mode, 0) != 0) {
    err = -errno;
    *what = "chmod";
    goto out;
  }
  if (backlog >= 0 && listen(fd, backlog) != 0) {
    err = -errno;
    *what = "listen";
    goto out;
  }
  /* into place at once, with its mode and owner, listening; never over a file that is there (as bind) */
  if (syscall(SYS_renameat2, dfd, "s", AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
    placed = 1;
  } else if (errno == EINVAL || errno == ENOSYS) {
    /* a file system without RENAME_NOREPLACE: link(2) refuses an existing name too */
    if (linkat(dfd, "s", AT_FDCWD, path, 0) == 0) placed = 1;
  }
  if (!placed) {
    err = errno == EEXIST ? -EADDRINUSE : -errno;
    *what = errno == EEXIST ? "bind" : "rename";
  }
out:
  unlinkat(dfd, "s", 0);
  close(dfd);
  rmdir(folder);
  return err;
}

int sock_bind_unix(const char *path, size_t len, int type, int abstract_ok, int mode, int uid, int gid, int backlog, const char **what) {
  struct sockaddr_un addr;
  *what = "bind";
  int bad = address(&addr, path, len);
  if (bad != 0) return bad;
  int abstract = abstract_ok && path[0] == '@';
  if (abstract) addr.sun_path[0] = '\0';

  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *what = "socket";
    return -errno;
  }
  if (mode != SOCK_KEEP_UMASK && !abstract) {
    int err = bind_private(fd, path, len, mode, uid, gid, backlog, what);
    if (err != 0) {
      close(fd);
      return err;
    }
    return fd;
  }
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  if (backlog >= 0 && listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    if (!abstract) unlink(path);
    *what = "listen";
    return -e;
  }
  return fd;
}
