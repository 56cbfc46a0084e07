/*
 * The output part of procinit's addon (native/addon.c): what the multiplexed output needs that Node does
 * not give, or gives too slowly.
 *
 *   pipe(nonBlockingRead) -> [readFd, writeFd]
 *       pipe2(O_CLOEXEC), the read end O_NONBLOCK when asked: a child's stdout/stderr, whose read end
 *       procinit reads with the pump (pump.c) or net.Socket's `onread` into reused buffers (child_process's
 *       own pipes allocate a fresh 64 KiB buffer for every read: a page fault per 4 KiB streamed and
 *       garbage for the collector), and which it may also read at once when the child exits; or a child's
 *       stdin. Both ends are closed again when the read end cannot be made non-blocking.
 *
 *   prefixLines(data, prefix, maxLine, stripCR, out, off) -> number
 *       the hot loop, run for every line every program writes (src/output/prefix-lines.ts has the same
 *       function in JavaScript, used when this addon cannot be loaded; the tests hold the two to one result):
 *       writes prefix + line + "\n" for every line of data into out from off on, and returns the number of
 *       bytes written; when out has too little room, writes nothing and returns minus the room needed.
 *       Lines end at each "\n" and at the end of data; the "\r" of a "\r\n" is dropped when stripCR; a line
 *       longer than maxLine comes out in maxLine parts.
 *
 *   countLines(data) -> number
 *       the number of "\n" in data, plus one when data does not end with one: the records a batch makes at
 *       least (a line longer than maxLine makes more), so that a ring can keep its last N lines, not 1 MiB.
 *
 *   isatty(fd) -> boolean
 *       whether procinit's own stdout is a terminal (colours), without loading Node's tty module, which
 *       loads net and streams: 4 ms before the first program could start.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <stdint.h>
#include <string.h>
#include "addon.h"

typedef struct {
  const char *data;
  size_t len, max_line;
  bool strip_cr;
} batch_t;

/* Call visit(start, end) for every line part; returns the number of parts. */
#define EACH_PART(b, VISIT)                                                          \
  do {                                                                               \
    size_t start_ = 0;                                                               \
    while (start_ < (b)->len) {                                                      \
      const char *nl_ = memchr((b)->data + start_, '\n', (b)->len - start_);         \
      size_t stop_ = nl_ ? (size_t)(nl_ - (b)->data) : (b)->len;                     \
      size_t end_ = stop_;                                                           \
      if ((b)->strip_cr && nl_ && end_ > start_ && (b)->data[end_ - 1] == '\r') end_--; \
      for (;;) {                                                                     \
        size_t cut_ = end_ - start_ > (b)->max_line ? start_ + (b)->max_line : end_; \
        VISIT(start_, cut_);                                                         \
        if (cut_ == end_) break;                                                     \
        start_ = cut_;                                                               \
      }                                                                              \
      start_ = stop_ + 1;                                                            \
    }                                                                                \
  } while (0)

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static napi_value prefix_lines(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) return fail(env, "prefixLines(data, prefix, maxLine, stripCR, out, off)");
  batch_t b;
  void *data, *prefix, *out;
  size_t prefix_len, out_len;
  uint32_t max_line, off;
  if (napi_get_buffer_info(env, argv[0], &data, &b.len) != napi_ok) return fail(env, "prefixLines: data must be a Buffer");
  if (napi_get_buffer_info(env, argv[1], &prefix, &prefix_len) != napi_ok) return fail(env, "prefixLines: prefix must be a Buffer");
  if (napi_get_value_uint32(env, argv[2], &max_line) != napi_ok || max_line == 0) return fail(env, "prefixLines: maxLine must be a positive integer");
  if (napi_get_value_bool(env, argv[3], &b.strip_cr) != napi_ok) return fail(env, "prefixLines: stripCR must be a boolean");
  if (napi_get_buffer_info(env, argv[4], &out, &out_len) != napi_ok) return fail(env, "prefixLines: out must be a Buffer");
  if (napi_get_value_uint32(env, argv[5], &off) != napi_ok || off > out_len) return fail(env, "prefixLines: off must be an offset into out");
  b.data = data;
  b.max_line = max_line;

  size_t parts = 0, bytes = 0;
#define COUNT(s, e) (parts++, bytes += (e) - (s))
  EACH_PART(&b, COUNT);
  size_t need = bytes + parts * (prefix_len + 1);
  napi_value result;
  if (need > out_len - off) {
    napi_create_double(env, -(double)need, &result);
    return result;
  }
  char *p = (char *)out + off;
#define COPY(s, e) (memcpy(p, prefix, prefix_len), p += prefix_len, memcpy(p, b.data + (s), (e) - (s)), p += (e) - (s), *p++ = '\n')
  EACH_PART(&b, COPY);
  napi_create_double(env, (double)need, &result);
  return result;
}

static napi_value count_lines(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  void *data;
  size_t len;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 || napi_get_buffer_info(env, arg, &data, &len) != napi_ok)
    return fail(env, "countLines(data): data must be a Buffer");
  const char *p = data, *end = p + len;
  double n = 0;
  for (const char *nl; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) n++;
  if (len > 0 && ((const char *)data)[len - 1] != '\n') n++;
  napi_value result;
  napi_create_double(env, n, &result);
  return result;
}

static napi_value make_pipe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  bool nonblock_read = false;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) == napi_ok && argc >= 1) napi_get_value_bool(env, arg, &nonblock_read);
  int fds[2];
  const char *what = "pipe2";
  bool failed = pipe2(fds, O_CLOEXEC) != 0;
  if (!failed && nonblock_read && fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
    int e = errno;
    close(fds[0]); /* none left open when the pipe cannot be made as asked */
    close(fds[1]);
    errno = e;
    what = "fcntl(O_NONBLOCK)";
    failed = true;
  }
  if (failed) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  napi_value result, r, w;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, fds[0], &r);
  napi_create_int32(env, fds[1], &w);
  napi_set_element(env, result, 0, r);
  napi_set_element(env, result, 1, w);
  return result;
}

/* pipeCapacity(fd) -> a pipe's capacity in bytes (F_GETPIPE_SZ), or minus errno: what the pump made it. */
static napi_value pipe_capacity(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result;
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, arg, &fd) != napi_ok)
    return fail(env, "pipeCapacity(fd)");
  int size = fcntl(fd, F_GETPIPE_SZ);
  napi_create_int32(env, size < 0 ? -errno : size, &result);
  return result;
}

static napi_value is_a_tty(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result;
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, arg, &fd) != napi_ok) {
    return fail(env, "isatty(fd)");
  }
  napi_get_boolean(env, fd >= 0 && isatty(fd) == 1, &result);
  return result;
}

void output_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"pipe", NULL, make_pipe, NULL, NULL, NULL, napi_default, NULL},
      {"prefixLines", NULL, prefix_lines, NULL, NULL, NULL, napi_default, NULL},
      {"countLines", NULL, count_lines, NULL, NULL, NULL, napi_default, NULL},
      {"isatty", NULL, is_a_tty, NULL, NULL, NULL, napi_default, NULL},
      {"pipeCapacity", NULL, pipe_capacity, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  pump_define(env, exports);
}
