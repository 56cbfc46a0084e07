#ifndef PROCINIT_SPAWN_H
#define PROCINIT_SPAWN_H
#include <node_api.h>

/* spawn(file, argv, env, cwd, stdin, stdout, stderr) -> pid, or minus errno: see spawn.c. */
napi_value spawn_direct(napi_env env, napi_callback_info info);
void free_strings(char **arr);

#endif
