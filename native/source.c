/*
 * externalSource(buffer) -> string | undefined: a one-byte JS string over the buffer's bytes, not a copy.
 *
 * build/sea-main.cjs compiles procinit's bundle (876 kB of ASCII, an SEA asset) from a string. An asset from
 * `sea.getRawAsset` is a view of the executable's own mapped memory, there as long as the process is; a
 * string made with Buffer#toString copies it onto V8's heap (214 fresh pages touched and the copy at every
 * start, and the string stays on the heap for the life of the process). V8's external strings point at
 * memory outside the heap: this one at the asset itself, so nothing is copied, and it has nothing to free
 * (no finalizer). A start to 10 programs took 2-4 ms less in alternating A/Bs (bench/analysis.md).
 *
 * node_api_create_external_string_latin1 is Node-API "experimental" in Node 20 (stable in 22): it is looked
 * up at run time, so the addon loads on a Node without it, and this returns undefined there (the caller
 * then copies, as before). Node builds with V8's sandbox copy instead: undefined too (copied).
 */
#include <dlfcn.h>
#include <stdbool.h>
#include "addon.h"

typedef napi_status (*external_latin1_fn)(napi_env, char *, size_t, void *, void *, napi_value *, bool *);

static napi_value external_source(napi_env env, napi_callback_info info) {
  static external_latin1_fn make;
  static bool looked;
  size_t argc = 1;
  napi_value argv[1], out, undef;
  napi_get_undefined(env, &undef);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return undef;
  if (!looked) {
    make = (external_latin1_fn)dlsym(RTLD_DEFAULT, "node_api_create_external_string_latin1");
    looked = true;
  }
  void *data = NULL;
  size_t length = 0;
  bool copied = true;
  if (make == NULL || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok || length == 0) return undef;
  if (make(env, data, length, NULL, NULL, &out, &copied) != napi_ok || copied) return undef;
  return out;
}

void source_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"externalSource", NULL, external_source, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
