/*
 * procinit's output addon: the hot loop of the multiplexed output, in C because it runs for every line
 * every program writes (src/output/prefix-lines.ts has the same function in JavaScript, used when this
 * addon cannot be loaded, and the tests hold the two to the same results).
 *
 *   prefixLines(data, prefix, maxLine, stripCR) -> Buffer
 *       prefix + line + "\n" for every line of data: lines end at each "\n" and at the end of data; the
 *       "\r" of a "\r\n" is dropped when stripCR; a line longer than maxLine comes out in maxLine parts.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) return fail(env, "prefixLines(data, prefix, maxLine, stripCR)");
  batch_t b;
  void *data, *prefix;
  size_t prefix_len;
  uint32_t max_line;
  if (napi_get_buffer_info(env, argv[0], &data, &b.len) != napi_ok) return fail(env, "prefixLines: data must be a Buffer");
  if (napi_get_buffer_info(env, argv[1], &prefix, &prefix_len) != napi_ok) return fail(env, "prefixLines: prefix must be a Buffer");
  if (napi_get_value_uint32(env, argv[2], &max_line) != napi_ok || max_line == 0) return fail(env, "prefixLines: maxLine must be a positive integer");
  if (napi_get_value_bool(env, argv[3], &b.strip_cr) != napi_ok) return fail(env, "prefixLines: stripCR must be a boolean");
  b.data = data;
  b.max_line = max_line;

  size_t parts = 0, bytes = 0;
#define COUNT(s, e) (parts++, bytes += (e) - (s))
  EACH_PART(&b, COUNT);
  napi_value result;
  void *out;
  if (napi_create_buffer(env, bytes + parts * (prefix_len + 1), &out, &result) != napi_ok) return NULL;
  char *p = out;
#define COPY(s, e) (memcpy(p, prefix, prefix_len), p += prefix_len, memcpy(p, b.data + (s), (e) - (s)), p += (e) - (s), *p++ = '\n')
  EACH_PART(&b, COPY);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"prefixLines", NULL, prefix_lines, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
