/*
 * http and tcp probes (src/health/probe-http.ts, probe-tcp.ts) done by libuv in C: a hundred instances with
 * a 1 s probe each make a hundred connections a second, and a net.Socket per connection (streams, buffers,
 * timers) costs procinit more CPU and heap than the connection itself.
 *
 *   probeConnect(ip, port, request, timeoutMs, callback(status, error))
 *       connects to ip:port (an IPv4 or IPv6 literal); when request is a non-empty string, writes it and
 *       reads the answer's first line (at most 255 bytes), then closes. callback gets:
 *         status  the HTTP status of the first line, 0 for a tcp probe that connected, -1 on failure
 *         error   null, or why: an errno name (ECONNREFUSED, ...), "timeout", "closed", "not http"
 *       Exactly one callback per call; every handle is closed after it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "addon.h"

#define HEAD_MAX 256

typedef struct {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  uv_timer_t timer;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  char *request;
  size_t request_len;
  char head[HEAD_MAX];
  size_t head_len;
  int done;
  int open_handles;
} probe_t;

static void on_handle_closed(uv_handle_t *h) {
  probe_t *p = h->data;
  if (--p->open_handles == 0) {
    free(p->request);
    free(p);
  }
}

static void finish(probe_t *p, int status, const char *error) {
  if (p->done) return;
  p->done = 1;
  uv_timer_stop(&p->timer);
  uv_read_stop((uv_stream_t *)&p->tcp);
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) == napi_ok) {
    napi_value argv[2], callback, global, ignored;
    napi_create_int32(env, status, &argv[0]);
    if (error) napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &argv[1]);
    else napi_get_null(env, &argv[1]);
    if (napi_get_reference_value(env, p->callback, &callback) == napi_ok && napi_get_global(env, &global) == napi_ok) {
      napi_make_callback(env, p->context, global, callback, 2, argv, &ignored);
    }
    napi_close_handle_scope(env, scope);
  }
  napi_delete_reference(env, p->callback);
  napi_async_destroy(env, p->context);
  uv_close((uv_handle_t *)&p->timer, on_handle_closed);
  uv_close((uv_handle_t *)&p->tcp, on_handle_closed);
}

static void on_timeout(uv_timer_t *t) {
  finish(t->data, -1, "timeout");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  probe_t *p = h->data;
  buf->base = p->head + p->head_len;
  buf->len = HEAD_MAX - 1 - p->head_len;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  (void)buf;
  probe_t *p = s->data;
  if (p->done) return;
  if (nread < 0) {
    finish(p, -1, nread == UV_EOF ? "closed" : uv_err_name((int)nread));
    return;
  }
  p->head_len += (size_t)nread;
  p->head[p->head_len] = '\0';
  char *eol = strstr(p->head, "\r\n");
  if (!eol && p->head_len < HEAD_MAX - 1) return;
  int major = 0, minor = 0, status = 0;
  if ((sscanf(p->head, "HTTP/%d.%d %3d", &major, &minor, &status) == 3 || sscanf(p->head, "HTTP/%d %3d", &major, &status) == 2) &&
      status >= 100 && status <= 999) {
    finish(p, status, NULL);
  } else {
    finish(p, -1, "not http");
  }
}

static void on_written(uv_write_t *w, int status) {
  probe_t *p = w->data;
  if (status < 0) finish(p, -1, uv_err_name(status));
}

static void on_connect(uv_connect_t *c, int status) {
  probe_t *p = c->data;
  if (p->done) return;
  if (status < 0) {
    finish(p, -1, uv_err_name(status));
    return;
  }
  if (p->request_len == 0) {
    finish(p, 0, NULL);
    return;
  }
  uv_buf_t buf = uv_buf_init(p->request, (unsigned int)p->request_len);
  int rc = uv_write(&p->write, (uv_stream_t *)&p->tcp, &buf, 1, on_written);
  if (rc == 0) rc = uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read);
  if (rc != 0) finish(p, -1, uv_err_name(rc));
}

static napi_value probe_connect(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char ip[64];
  size_t ip_len = 0, req_len = 0;
  int32_t port = 0, timeout_ms = 0;
  napi_valuetype cb_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &ip_len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok ||
      napi_get_value_string_latin1(env, argv[2], NULL, 0, &req_len) != napi_ok ||
      napi_get_value_int32(env, argv[3], &timeout_ms) != napi_ok ||
      napi_typeof(env, argv[4], &cb_type) != napi_ok || cb_type != napi_function) {
    napi_throw_error(env, NULL, "probeConnect(ip, port, request, timeoutMs, callback)");
    return NULL;
  }
  struct sockaddr_storage addr;
  if (uv_ip4_addr(ip, port, (struct sockaddr_in *)&addr) != 0 && uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&addr) != 0) {
    napi_throw_error(env, "EINVAL", "probeConnect: not an IP address");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "probeConnect: no event loop");
    return NULL;
  }
  probe_t *p = calloc(1, sizeof *p);
  if (!p || !(p->request = malloc(req_len + 1))) {
    free(p);
    napi_throw_error(env, "ENOMEM", "probeConnect: out of memory");
    return NULL;
  }
  napi_get_value_string_latin1(env, argv[2], p->request, req_len + 1, &p->request_len);
  p->env = env;
  napi_value name;
  napi_create_string_utf8(env, "procinit:probe", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->context);
  napi_create_reference(env, argv[4], 1, &p->callback);
  p->tcp.data = p->timer.data = p->connect.data = p->write.data = p;
  uv_tcp_init(loop, &p->tcp);
  uv_timer_init(loop, &p->timer);
  p->open_handles = 2;
  uv_unref((uv_handle_t *)&p->timer);
  uv_timer_start(&p->timer, on_timeout, (uint64_t)(timeout_ms > 0 ? timeout_ms : 1), 0);
  int rc = uv_tcp_connect(&p->connect, &p->tcp, (const struct sockaddr *)&addr, on_connect);
  if (rc != 0) finish(p, -1, uv_err_name(rc));
  return NULL;
}

void probe_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"probeConnect", NULL, probe_connect, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
