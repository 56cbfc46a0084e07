/*
 * spawn(file, argv, env, cwd, stdin, stdout, stderr) -> pid, or minus errno
 *
 * posix_spawn: glibc starts the child with clone(CLONE_VM | CLONE_VFORK), so the parent's memory map is
 * neither copied nor torn down again at exec. libuv forks, and for a Node process that costs 1.3-1.5 ms per
 * program (0.15 ms this way): the difference is most of procinit's start-up time with ten programs.
 * The child gets its own session (setsid, like child_process's `detached`), every signal at its default
 * and none blocked, the three fds as 0, 1, 2, and cwd as its directory. It is not libuv's child: procinit's
 * reaper collects its exit status (src/supervisor/direct-spawn.ts). file must be a path (no PATH search).
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include "addon.h"

/* A JS array of strings as a NULL-terminated C array; NULL on failure (an exception is then pending). */
static char **string_array(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof *out);
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok ||
        !(out[i] = malloc(len + 1)) || napi_get_value_string_utf8(env, v, out[i], len + 1, &len) != napi_ok) {
      free_strings(out);
      return NULL;
    }
  }
  return out;
}

void free_strings(char **arr) {
  if (!arr) return;
  for (char **p = arr; *p; p++) free(*p);
  free(arr);
}

static char *string_arg(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s && napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

napi_value spawn_direct(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 7) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, env, cwd, stdin, stdout, stderr)");
    return NULL;
  }
  int32_t fds[3];
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_int32(env, argv[4 + i], &fds[i]) != napi_ok || fds[i] < 0) {
      napi_throw_type_error(env, NULL, "spawn: stdin, stdout and stderr must be file descriptors");
      return NULL;
    }
  }
  char *file = string_arg(env, argv[0]);
  char *cwd = string_arg(env, argv[3]);
  char **args = string_array(env, argv[1]);
  char **envp = string_array(env, argv[2]);
  int err = 0;
  pid_t pid = -1;
  if (!file || !cwd || !args || !envp) {
    err = ENOMEM;
  } else {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawn_file_actions_init(&actions);
    for (int i = 0; i < 3; i++) posix_spawn_file_actions_adddup2(&actions, fds[i], i);
    posix_spawn_file_actions_addchdir_np(&actions, cwd);
    err = posix_spawn(&pid, file, &actions, &attr, args, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  free(file);
  free(cwd);
  free_strings(args);
  free_strings(envp);
  napi_value result;
  napi_create_int32(env, err ? -err : pid, &result);
  return result;
}
