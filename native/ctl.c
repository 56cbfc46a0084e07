/*
 * The control client's part of procinit's addon (native/addon.c): the socket calls a one-shot verb
 * (`procinit status`) needs, blocking, so that the client bundle does not load Node's net module and its
 * streams (about 4 ms of a 40 ms call; src/control/native-client.ts).
 *
 *   ctlConnect(path) -> fd
 *       socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK) and connect(path); "@name" is an abstract
 *       socket (NUL + name padded with NULs, as listenUnix binds it and net.connect('\0name') connects).
 *       Throws an Error whose code is the errno name (the caller then takes Node's net path, which words
 *       the error as always).
 *
 *   ctlRead(fd, timeoutMs) -> Buffer | null | false
 *       Waits (poll) up to timeoutMs (-1: for ever) for bytes, then reads all that is there, growing the
 *       buffer: a Buffer of at least one byte, null at end of file, false when timeoutMs passed. Throws on an
 *       error (ECONNRESET, ...). EINTR is retried within the same deadline.
 *
 *   ctlWrite(fd, buffer, timeoutMs)
 *       Writes all of buffer (send with MSG_NOSIGNAL: a closed peer is EPIPE, never SIGPIPE), waiting for
 *       room with poll up to timeoutMs in all. Throws on an error; false when the time passed.
 *
 *   ctlClose(fd)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "addon.h"

static const char *ctl_errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTDIR: return "ENOTDIR";
    case EAGAIN: return "EAGAIN";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EBADF: return "EBADF";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return "EIO";
  }
}

static napi_value ctl_throw(napi_env env, int e, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, ctl_errno_code(e), msg);
  return NULL;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll for events until deadline (-1: none). 1 ready, 0 timed out, -errno on error. */
static int wait_for(int fd, short events, int64_t deadline) {
  for (;;) {
    int timeout = -1;
    if (deadline >= 0) {
      int64_t left = deadline - now_ms();
      if (left <= 0) return 0;
      timeout = left > 0x7fffffff ? 0x7fffffff : (int)left;
    }
    struct pollfd p = {.fd = fd, .events = events, .revents = 0};
    int rc = poll(&p, 1, timeout);
    if (rc > 0) return 1;
    if (rc == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

static int get_fd(napi_env env, napi_callback_info info, size_t want, napi_value *argv, int32_t *fd, int32_t *timeout) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, argv[0], fd) != napi_ok) return 0;
  *timeout = -1;
  if (timeout != NULL && argc >= want && napi_get_value_int32(env, argv[want - 1], timeout) != napi_ok) return 0;
  return 1;
}

static napi_value ctl_connect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  struct sockaddr_un addr;
  char path[sizeof addr.sun_path + 1];
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_error(env, NULL, "ctlConnect(path)");
    return NULL;
  }
  if (len == 0 || len >= sizeof addr.sun_path) return ctl_throw(env, ENAMETOOLONG, "connect");
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, len);
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  if (path[0] == '@') {
    addr.sun_path[0] = '\0';
    alen = sizeof addr; /* padded with NULs, as the server binds it */
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ctl_throw(env, errno, "socket");
  int rc;
  do rc = connect(fd, (struct sockaddr *)&addr, alen);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int e = errno;
    close(fd);
    return ctl_throw(env, e, "connect");
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value ctl_read(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd, timeout;
  if (!get_fd(env, info, 2, argv, &fd, &timeout)) {
    napi_throw_error(env, NULL, "ctlRead(fd, timeoutMs)");
    return NULL;
  }
  int64_t deadline = timeout < 0 ? -1 : now_ms() + timeout;
  napi_value result;
  size_t cap = 64 * 1024, size = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return ctl_throw(env, ENOMEM, "read");
  for (;;) {
    if (cap - size < 16 * 1024) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) {
        free(buf);
        return ctl_throw(env, ENOMEM, "read");
      }
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + size, cap - size);
    if (n > 0) {
      size += (size_t)n;
      if (size >= 4 * 1024 * 1024) break; /* enough for one call: the caller asks again */
      continue;
    }
    if (n == 0) {
      if (size > 0) break;
      free(buf);
      napi_get_null(env, &result);
      return result;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      int e = errno;
      if (size > 0) break; /* give what came; the error shows again at the next call */
      free(buf);
      return ctl_throw(env, e, "read");
    }
    if (size > 0) break;
    int w = wait_for(fd, POLLIN, deadline);
    if (w == 0) {
      free(buf);
      napi_get_boolean(env, false, &result);
      return result;
    }
    if (w < 0) {
      free(buf);
      return ctl_throw(env, -w, "poll");
    }
  }
  void *data;
  if (napi_create_buffer_copy(env, size, buf, &data, &result) != napi_ok) {
    free(buf);
    return ctl_throw(env, ENOMEM, "read");
  }
  free(buf);
  return result;
}

static napi_value ctl_write(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, timeout;
  char *data = NULL;
  size_t len = 0;
  if (!get_fd(env, info, 3, argv, &fd, &timeout) || napi_get_buffer_info(env, argv[1], (void **)&data, &len) != napi_ok) {
    napi_throw_error(env, NULL, "ctlWrite(fd, buffer, timeoutMs)");
    return NULL;
  }
  int64_t deadline = timeout < 0 ? -1 : now_ms() + timeout;
  napi_value result;
  size_t done = 0;
  while (done < len) {
    ssize_t n = send(fd, data + done, len - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += (size_t)n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ctl_throw(env, errno, "write");
    int w = wait_for(fd, POLLOUT, deadline);
    if (w == 0) {
      napi_get_boolean(env, false, &result);
      return result;
    }
    if (w < 0) return ctl_throw(env, -w, "poll");
  }
  napi_get_boolean(env, true, &result);
  return result;
}

static napi_value ctl_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd > 2) close(fd);
  return NULL;
}

void ctl_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"ctlConnect", NULL, ctl_connect, NULL, NULL, NULL, napi_default, NULL},
      {"ctlRead", NULL, ctl_read, NULL, NULL, NULL, napi_default, NULL},
      {"ctlWrite", NULL, ctl_write, NULL, NULL, NULL, napi_default, NULL},
      {"ctlClose", NULL, ctl_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
