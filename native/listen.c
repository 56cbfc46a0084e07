/*
 * The control socket's part of procinit's addon (native/addon.c).
 *
 *   listenUnix(path, backlog) -> fd
 *       socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC), bind(path) under umask 0177 (the file is 0600 from its
 *       first instant: no window in which another user could connect), listen(backlog). The fd goes to a
 *       net.Server (server.listen({ fd })) once the programs have started: Node's net module and its
 *       streams take about 4 ms to load, and connections that come meanwhile wait in the backlog.
 *       Throws an Error whose code is the errno name (EADDRINUSE, EACCES, ENOENT, ...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "addon.h"

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
    default: return "EIO";
  }
}

static napi_value throw_code(napi_env env, int e, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, errno_code(e), msg);
  return NULL;
}

static napi_value listen_unix(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[4096];
  size_t len = 0;
  int32_t backlog = 511;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_error(env, NULL, "listenUnix(path, backlog)");
    return NULL;
  }
  struct sockaddr_un addr;
  if (len == 0 || len >= sizeof addr.sun_path) return throw_code(env, ENAMETOOLONG, "bind");
  if (argc >= 2) napi_get_value_int32(env, argv[1], &backlog);

  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, len + 1);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_code(env, errno, "socket");
  mode_t previous = umask(0177);
  int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  int bind_errno = errno;
  umask(previous);
  if (rc != 0) {
    close(fd);
    return throw_code(env, bind_errno, "bind");
  }
  if (listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    unlink(path);
    return throw_code(env, e, "listen");
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

void listen_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"listenUnix", NULL, listen_unix, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
