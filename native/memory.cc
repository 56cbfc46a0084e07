/*
 * Giving memory back after a burst (the control socket's clients, a flood of followers):
 *
 *   trimMemory() -> true
 *       V8's LowMemoryNotification (a full, compacting collection that also releases the heap's free pages)
 *       then glibc's malloc_trim(0) (returns the free parts of malloc's arenas, where Buffers' memory lives,
 *       to the kernel). Without both, RSS stays at its peak long after the burst is over. Costs a full GC
 *       that stops everything (two, in fact: 60-80 ms with a heap of 30 MB): only for quiet moments,
 *       seconds after a burst has ended (src/control/pool.ts).
 *   trimMemory(1) -> true
 *       The gentle kind, for a running procinit (src/memory/watch.ts): V8's moderate memory pressure, which
 *       starts incremental marking that reduces the footprint (concurrent marking, short pauses: the event
 *       loop keeps turning), then malloc_trim(0) for what is free already.
 *   trimMemory(2) -> true
 *       malloc_trim(0) alone (after a gentle trim's collection has freed the Buffers).
 *
 * At load, malloc's mmap threshold is fixed at MMAP_THRESHOLD (mallopt(M_MMAP_THRESHOLD)), unless the
 * operator set it (MALLOC_MMAP_THRESHOLD_, GLIBC_TUNABLES=glibc.malloc.mmap_threshold=...). glibc's default
 * threshold is dynamic: once a big mmapped block is freed, blocks up to that size come from the heap instead,
 * and a heap with small live blocks between freed big ones cannot shrink. The big blocks here are Buffers:
 * the event lines of a batch of output (shared by every `logs -f` follower), reads, socket queues. With 100
 * followers and 4 programs flooding, RSS under load was 1.05-1.08x idle with the dynamic threshold and
 * 0.90-0.92x with it fixed (node, bench/analysis.md); its peak 96-120 MiB against 86 MiB. A fixed threshold
 * comes with M_TRIM_THRESHOLD at its 128 KiB default (the dynamic one makes it twice the biggest freed block).
 */
#include <node_api.h>
#include <v8.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value trim_memory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t mode = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok && argc >= 1) {
    if (napi_get_value_int32(env, argv[0], &mode) != napi_ok) mode = 0;
  }
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) {
    if (mode == 0) isolate->LowMemoryNotification();
    else if (mode == 1) isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
  }
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, true, &result);
  return result;
}

#if defined(__GLIBC__)
#include <stdlib.h>
#include <string.h>
static const int MMAP_THRESHOLD = 128 * 1024; /* glibc's own starting value */

static void fix_mmap_threshold() {
  const char *tunables = getenv("GLIBC_TUNABLES");
  if (getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || (tunables != nullptr && strstr(tunables, "mmap_threshold") != nullptr)) return;
  mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
  /* and the trim threshold back to its default: the dynamic threshold set it to twice the biggest freed
     block (the start-up's source string freed before the addon loads takes it to 2 MiB) */
  mallopt(M_TRIM_THRESHOLD, MMAP_THRESHOLD);
}
#endif

extern "C" void memory_define(napi_env env, napi_value exports) {
#if defined(__GLIBC__)
  fix_mmap_threshold();
#endif
  napi_property_descriptor props[] = {
      {"trimMemory", nullptr, trim_memory, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
