/*
 * procinit's native addon, procinit.node: one library, so the single executable extracts and loads one
 * file at start-up (about 1.5 ms each). Its parts, each in its own file:
 *
 *   reaper.c + spawn.c   PID 1: subreaper, reaping orphans, execvp for the user= shim, posix_spawn
 *   output.c             children's output: pipes, the line-prefixing loop, isatty
 *   listen.c             the control socket, bound and listening before the first program starts
 *   memory.cc            giving memory back to the kernel after a burst (V8 + malloc)
 *   notify.c             sd_notify: datagram sockets for NOTIFY_SOCKET, watched with uv_poll
 *   probe.c              http and tcp probes: connect, ask, read the status line, all in libuv
 *   sock.c               what listen.c and notify.c share: a Unix socket bound with the safety checks
 *   ctl.c                the control client: a one-shot request without Node's net (procinit status)
 *   watchdog.c           the first config load at start: a file-system call that hangs ends procinit (exit 2)
 */
#include "addon.h"

static napi_value init(napi_env env, napi_value exports) {
  reaper_define(env, exports);
  output_define(env, exports);
  listen_define(env, exports);
  memory_define(env, exports);
  notify_define(env, exports);
  probe_define(env, exports);
  ctl_define(env, exports);
  watchdog_define(env, exports);
  source_define(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
