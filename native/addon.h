#ifndef PROCINIT_ADDON_H
#define PROCINIT_ADDON_H
#include <node_api.h>

/* Each part of the addon defines its functions on the exports object (native/addon.c calls them all). */
void reaper_define(napi_env env, napi_value exports); /* reaper.c: subreaper, reaping, execvp, spawn */
void output_define(napi_env env, napi_value exports); /* output.c: pipes, prefixLines, isatty */
void pump_define(napi_env env, napi_value exports);   /* pump.c: children's output read in C (output_define calls it) */
#ifdef __cplusplus
extern "C" {
#endif
void memory_define(napi_env env, napi_value exports); /* memory.cc: trimMemory after a burst */
#ifdef __cplusplus
}
#endif
void listen_define(napi_env env, napi_value exports); /* listen.c: the control socket: bind + listen, lock, peer credentials */
void notify_define(napi_env env, napi_value exports); /* notify.c: sd_notify datagram sockets */
void probe_define(napi_env env, napi_value exports); /* probe.c: http/tcp probes in libuv */
void ctl_define(napi_env env, napi_value exports);   /* ctl.c: the control client's blocking connect, read, write */
void watchdog_define(napi_env env, napi_value exports); /* watchdog.c: a hung fs call at start ends procinit */
void source_define(napi_env env, napi_value exports); /* source.c: the SEA bundle's source as an external string */

/* spawn(file, argv, env, cwd, stdin, stdout, stderr) -> pid, or minus errno: see spawn.c. */
napi_value spawn_direct(napi_env env, napi_callback_info info);
/* spawnFailure(pid) -> 0, or minus errno of a spawn that failed after its pid was returned: see spawn.c. */
napi_value spawn_failure(napi_env env, napi_callback_info info);
void free_strings(char **arr);

#endif
