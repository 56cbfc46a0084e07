/*
 * spawn(file, argv, env, cwd, stdin, stdout, stderr) -> pid, or minus errno
 *
 * posix_spawn: glibc starts the child with clone(CLONE_VM | CLONE_VFORK), so the parent's memory map is
 * neither copied nor torn down again at exec. libuv forks, and for a Node process that costs 1.3-1.5 ms per
 * program (0.15 ms this way): the difference is most of procinit's start-up time with ten programs.
 * The child gets its own session (setsid, like child_process's `detached`), every signal at its default
 * and none blocked, the three fds as 0, 1, 2, and cwd as its directory. It is not libuv's child: procinit's
 * reaper collects its exit status (src/supervisor/direct-spawn.ts). file must be a path (no PATH search).
 *
 * spawn(..., joinFds): with an 8th argument, an array of open `cgroup.procs` files (src/health/limits), the
 * child writes "0" (itself) into each before it execs, so the program is born inside its cgroups: not one
 * page it allocates, and no child it forks, escapes the limit. glibc's posix_spawn has no hook for that,
 * so this path is posix_spawn's own recipe by hand (clone with CLONE_VM | CLONE_VFORK on a stack of its
 * own): every signal blocked in the parent around the clone (no handler of Node's may run in the child),
 * then in the child: every handler to its default, setsid,
 * join, dup2 the three fds, chdir, unblock, execve. The child reports a failed step through memory it
 * shares with the parent until it execs or exits. Returns the pid, minus errno when the exec failed, or
 * minus (JOIN_FAILED + errno) when joining a cgroup failed (the child never ran the program).
 *
 * spawn(..., joinFds, umask): a 9th argument (0-0o777) is the program's umask (supervisord's umask=), set in
 * the child before it execs, on the same clone path. procinit's own umask is never touched: it is every
 * thread's, so setting it around a spawn gave a file libuv's threadpool created meanwhile the program's.
 */
#define JOIN_FAILED 100000
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* What the vfork child tells the parent: which step failed and its errno (0: it exec'd). */
struct child_report {
  volatile int step; /* 1 join, 2 setsid/dup2/chdir/exec */
  volatile int err;
};

/* Everything the child needs, in memory it shares with the parent until it execs or exits. */
struct child_args {
  const char *file;
  char **args;
  char **envp;
  const char *cwd;
  const int32_t *fds;
  const int *join;
  uint32_t njoin;
  int mask; /* the program's umask, or -1: set in the child, never the whole of procinit (every thread's) */
  sigset_t none;
  volatile int step; /* what the child tells the parent: 1 join, 2 setsid/dup2/chdir/exec failed */
  volatile int err;  /* and its errno (0: it exec'd) */
};

/* Runs in the child, on its own stack, sharing the parent's memory: only system calls, never returns. */
static int child_exec(void *p) {
  struct child_args *a = p;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL); /* EINVAL for KILL/STOP and glibc's own: fine */
  for (uint32_t i = 0; i < a->njoin; i++) {
    if (write(a->join[i], "0", 1) != 1) {
      a->step = 1;
      a->err = errno ? errno : EIO;
      _exit(127);
    }
  }
  a->step = 2;
  if (setsid() < 0) goto fail;
  for (int i = 0; i < 3; i++) {
    if (a->fds[i] == i) {
      int fl = fcntl(i, F_GETFD);
      if (fl < 0 || fcntl(i, F_SETFD, fl & ~FD_CLOEXEC) < 0) goto fail;
    } else if (dup2(a->fds[i], i) < 0) {
      goto fail;
    }
  }
  if (chdir(a->cwd) < 0) goto fail;
  if (a->mask >= 0) umask((mode_t)a->mask); /* no CLONE_FS: the child's own, procinit's stays */
  sigprocmask(SIG_SETMASK, &a->none, NULL);
  execve(a->file, a->args, a->envp);
fail:
  a->err = errno ? errno : EIO;
  _exit(127);
}

/* clone(CLONE_VM | CLONE_VFORK) + join the cgroups + exec: the pid, or minus errno (JOIN_FAILED + errno for the join). */
static int spawn_joined(const char *file, char **args, char **envp, const char *cwd, const int32_t fds[3], const int *join, uint32_t njoin, int mask) {
  static const size_t stack_size = 64 * 1024;
  char *stack = malloc(stack_size);
  if (!stack) return -ENOMEM;
  struct child_args a = {file, args, envp, cwd, fds, join, njoin, mask, {{0}}, 0, 0};
  sigset_t all, old;
  sigfillset(&all);
  sigemptyset(&a.none);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(child_exec, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  free(stack);
  if (pid < 0) return -clone_err;
  if (a.err != 0) {
    /* the child has exited already (CLONE_VFORK waited for that): reap it here, it is nobody else's */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    return a.step == 1 ? -(JOIN_FAILED + a.err) : -a.err;
  }
  return pid;
}

/* An optional JS array of fds: how many; -1 when it is not an array of non-negative int32s. */
static int fd_list(napi_env env, napi_value arr, int **out) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || n > 16) return -1;
  *out = calloc(n + 1, sizeof **out);
  if (!*out) return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int32_t fd;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_int32(env, v, &fd) != napi_ok || fd < 0) return -1;
    (*out)[i] = fd;
  }
  return (int)n;
}

napi_value spawn_direct(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
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
  int *join = NULL;
  int njoin = 0;
  if (argc >= 8) {
    napi_valuetype t;
    napi_typeof(env, argv[7], &t);
    if (t != napi_undefined && t != napi_null && (njoin = fd_list(env, argv[7], &join)) < 0) {
      free(join);
      napi_throw_type_error(env, NULL, "spawn: joinFds must be an array of at most 16 file descriptors");
      return NULL;
    }
  }
  int32_t mask = -1;
  if (argc >= 9) {
    napi_valuetype t;
    napi_typeof(env, argv[8], &t);
    if (t != napi_undefined && t != napi_null && (napi_get_value_int32(env, argv[8], &mask) != napi_ok || mask < 0 || mask > 0777)) {
      free(join);
      napi_throw_type_error(env, NULL, "spawn: umask must be an integer from 0 to 0o777");
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
  } else if (njoin > 0 || mask >= 0) {
    /* posix_spawn has no umask action: a umask takes the clone path too */
    int r = spawn_joined(file, args, envp, cwd, fds, join, (uint32_t)njoin, mask);
    if (r < 0) err = -r;
    else pid = r;
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
  free(join);
  free(file);
  free(cwd);
  free_strings(args);
  free_strings(envp);
  napi_value result;
  napi_create_int32(env, err ? -err : pid, &result);
  return result;
}
