/*
 * Giving memory back after a burst (the control socket's clients, a flood of followers):
 *
 *   trimMemory() -> true
 *       V8's LowMemoryNotification (a full, compacting collection that also releases the heap's free pages)
 *       then glibc's malloc_trim(0) (returns the free parts of malloc's arenas, where Buffers' memory lives,
 *       to the kernel). Without both, RSS stays at its peak long after the burst is over. Costs a full GC:
 *       called rarely, seconds after a burst has ended (src/control/pool.ts).
 */
#include <node_api.h>
#include <v8.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value trim_memory(napi_env env, napi_callback_info) {
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) isolate->LowMemoryNotification();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, true, &result);
  return result;
}

extern "C" void memory_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"trimMemory", nullptr, trim_memory, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
