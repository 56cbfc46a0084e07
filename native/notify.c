/*
 * systemd's readiness protocol (sd_notify) for src/health/notify-socket.ts: one datagram socket per
 * program instance, its path given to the program as NOTIFY_SOCKET.
 *
 *   notifyBind(path) -> fd
 *       socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC), bind(path), chmod 0666 (a program running
 *       as another user must be able to send; the folder around it is procinit's private one).
 *       Throws an Error whose code is the errno name.
 *   notifyWatch(fd, callback(messages: string[])) -> handle
 *       watches fd with libuv (uv_poll, unref'd: it never keeps procinit alive); on each wake-up reads at
 *       most 64 datagrams of at most 4 KiB (a flooding program cannot starve the event loop) and calls
 *       callback with their texts.
 *   notifyClose(handle)
 *       stops watching and closes the fd (the caller removes the path).
 *
 * Node's dgram module has no AF_UNIX datagram sockets, hence this file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
#include "addon.h"
#include "sock.h"

#define MAX_DATAGRAMS_PER_WAKE 64
#define MAX_DATAGRAM 4096

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int fd;
  int closed;
} notify_watch;

static napi_value notify_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_error(env, NULL, "notifyBind(path)");
    return NULL;
  }
  const char *what;
  int fd = sock_bind_unix(path, len, SOCK_DGRAM | SOCK_NONBLOCK, 0, SOCK_KEEP_UMASK, -1, -1, -1, &what);
  if (fd < 0) return sock_throw(env, -fd, what);
  /* chmod by path, not a umask of 0111 during bind (sock.h): the umask is the whole process's, and a log file
   * libuv's threadpool creates meanwhile would get it; the path is in procinit's private folder, so no
   * symlink can be swapped in. */
  chmod(path, 0666);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static void on_closed(uv_handle_t *handle) {
  free(handle->data);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  notify_watch *w = poll->data;
  if (w->closed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value list;
  napi_create_array(env, &list);
  uint32_t n = 0;
  char buf[MAX_DATAGRAM];
  for (int i = 0; status == 0 && i < MAX_DATAGRAMS_PER_WAKE; i++) {
    ssize_t r = recv(w->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    napi_value text;
    if (napi_create_string_latin1(env, buf, (size_t)r, &text) == napi_ok) napi_set_element(env, list, n++, text);
  }
  if (n > 0) {
    napi_value callback, recv_this, ignored;
    if (napi_get_reference_value(env, w->callback, &callback) == napi_ok && napi_get_global(env, &recv_this) == napi_ok) {
      napi_make_callback(env, w->context, recv_this, callback, 1, &list, &ignored);
    }
  }
  napi_close_handle_scope(env, scope);
}

static napi_value notify_watch_fd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_typeof(env, argv[1], &type) != napi_ok ||
      type != napi_function) {
    napi_throw_error(env, NULL, "notifyWatch(fd, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "notifyWatch: no event loop");
    return NULL;
  }
  notify_watch *w = calloc(1, sizeof *w);
  if (!w) return sock_throw(env, ENOMEM, "notifyWatch");
  w->env = env;
  w->fd = fd;
  napi_value name;
  napi_create_string_utf8(env, "procinit:notify", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, NULL, name, &w->context) != napi_ok || napi_create_reference(env, argv[1], 1, &w->callback) != napi_ok) {
    free(w);
    napi_throw_error(env, NULL, "notifyWatch: cannot keep the callback");
    return NULL;
  }
  w->poll.data = w;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc == 0) rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    napi_delete_reference(env, w->callback);
    napi_async_destroy(env, w->context);
    free(w);
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  uv_unref((uv_handle_t *)&w->poll);
  napi_value handle;
  napi_create_external(env, w, NULL, NULL, &handle);
  return handle;
}

static napi_value notify_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_error(env, NULL, "notifyClose(handle)");
    return NULL;
  }
  notify_watch *w = data;
  if (w->closed) return NULL;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  close(w->fd);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->context);
  uv_close((uv_handle_t *)&w->poll, on_closed);
  return NULL;
}

void notify_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"notifyBind", NULL, notify_bind, NULL, NULL, NULL, napi_default, NULL},
      {"notifyWatch", NULL, notify_watch_fd, NULL, NULL, NULL, napi_default, NULL},
      {"notifyClose", NULL, notify_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
