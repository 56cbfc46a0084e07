/*
 * The PID-1 part of procinit's addon (native/addon.c): what Node cannot do itself, or only slowly.
 *
 *   setSubreaper()           prctl(PR_SET_CHILD_SUBREAPER, 1): orphans of our children come to us
 *                            when we are not PID 1 (as `tini -s`).
 *   execvp(file, argv)       replace this process with another program (Node 20 has no exec): used by the
 *                            `user=` shim after it set the supplementary groups libuv cannot set.
 *   spawn(...)               posix_spawn a program without forking Node (native/spawn.c); the reaper
 *                            collects its exit status.
 *   reapOrphans(ownPids)     waitpid(pid, WNOHANG) every child of this process that procinit did NOT
 *                            spawn itself; returns [pid, rawStatus, pid, rawStatus, ...] for those reaped.
 *   kill(pid, signo)         kill(2), returning 0 or the errno instead of throwing: a stop asks about and
 *                            kills process groups that are mostly gone already (ESRCH), and process.kill
 *                            makes an exception for each (about 40 at a 20-program shutdown). pid 0 and
 *                            -1 (our own group, every process) are refused with EINVAL.
 *
 * Why not waitpid(-1): libuv reaps the children it spawned by pid, and node-pty its own; reaping one of
 * theirs first would steal its exit status (its 'exit' event never fires). So we list our children from
 * /proc (or scan /proc/<pid>/stat when the kernel has no /proc/<pid>/task/<tid>/children) and skip every pid
 * procinit spawned. The list of spawned pids is always up to date when this runs: spawn() returns the pid
 * synchronously, on the same JS thread that calls reapOrphans() later. waitpid(WNOHANG) on a child that is
 * still running returns 0 and does nothing, so no state check is needed.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "addon.h"

typedef struct {
  pid_t *items;
  size_t len, cap;
} pid_list;

static int pid_list_push(pid_list *l, pid_t pid) {
  if (l->len == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    pid_t *items = realloc(l->items, cap * sizeof(pid_t));
    if (!items) return -1;
    l->items = items;
    l->cap = cap;
  }
  l->items[l->len++] = pid;
  return 0;
}

static int cmp_pid(const void *a, const void *b) {
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

/* Children of every thread of this process, from /proc/self/task/<tid>/children. 0 on success. */
static int list_children_from_task_files(pid_list *out) {
  DIR *tasks = opendir("/proc/self/task");
  if (!tasks) return -1;
  struct dirent *t;
  int found_file = 0;
  while ((t = readdir(tasks)) != NULL) {
    if (t->d_name[0] < '0' || t->d_name[0] > '9') continue;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%s/children", t->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    found_file = 1;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1) pid_list_push(out, (pid_t)pid);
    fclose(f);
  }
  closedir(tasks);
  return found_file ? 0 : -1;
}

/* Fallback: every /proc/<pid>/stat whose ppid is us. */
static int list_children_from_stat_scan(pid_list *out) {
  DIR *proc = opendir("/proc");
  if (!proc) return -1;
  pid_t self = getpid();
  struct dirent *e;
  while ((e = readdir(proc)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *close_paren = strrchr(buf, ')'); /* comm may hold spaces and parens */
    if (!close_paren) continue;
    char state;
    long ppid;
    if (sscanf(close_paren + 1, " %c %ld", &state, &ppid) == 2 && ppid == self) {
      pid_list_push(out, (pid_t)atol(e->d_name));
    }
  }
  closedir(proc);
  return 0;
}

static napi_value throw_errno(napi_env env, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value set_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return throw_errno(env, "prctl(PR_SET_CHILD_SUBREAPER)");
  napi_value result;
  napi_get_boolean(env, 1, &result);
  return result;
}

static napi_value reap_orphans(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);

  /* ownPids: Int32Array of pids procinit spawned (libuv's and node-pty's children). */
  pid_list own = {0};
  if (argc >= 1) {
    bool is_typed;
    napi_is_typedarray(env, argv[0], &is_typed);
    if (!is_typed) {
      napi_throw_type_error(env, NULL, "reapOrphans(ownPids: Int32Array)");
      return NULL;
    }
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL);
    if (type != napi_int32_array) {
      napi_throw_type_error(env, NULL, "reapOrphans(ownPids: Int32Array)");
      return NULL;
    }
    for (size_t i = 0; i < length; i++) pid_list_push(&own, ((int32_t *)data)[i]);
    qsort(own.items, own.len, sizeof(pid_t), cmp_pid);
  }

  pid_list children = {0};
  if (list_children_from_task_files(&children) != 0) {
    children.len = 0;
    list_children_from_stat_scan(&children);
  }

  napi_value result;
  napi_create_array(env, &result);
  uint32_t out = 0;
  for (size_t i = 0; i < children.len; i++) {
    pid_t pid = children.items[i];
    if (own.len && bsearch(&pid, own.items, own.len, sizeof(pid_t), cmp_pid)) continue;
    int status = 0;
    pid_t r;
    do {
      r = waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid) {
      napi_value v;
      napi_create_int32(env, pid, &v);
      napi_set_element(env, result, out++, v);
      napi_create_int32(env, status, &v);
      napi_set_element(env, result, out++, v);
    }
  }
  free(own.items);
  free(children.items);
  return result;
}

static napi_value exec_vp(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "execvp(file: string, argv: string[])");
    return NULL;
  }
  char file[4096];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], file, sizeof file, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "execvp: file must be a string");
    return NULL;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[1], &n);
  char **args = calloc(n + 1, sizeof(char *));
  if (!args) return throw_errno(env, "execvp");
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[1], i, &v);
    size_t l = 0;
    napi_get_value_string_utf8(env, v, NULL, 0, &l);
    args[i] = malloc(l + 1);
    napi_get_value_string_utf8(env, v, args[i], l + 1, &l);
  }
  /* The program must start as a fresh process would, as libuv's spawn gives it: stdio inherited (not
   * close-on-exec), default signal dispositions (Node ignores SIGPIPE), no blocked signals. */
  for (int fd = 0; fd <= 2; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(file, args); /* returns only on failure */
  int saved = errno;
  for (uint32_t i = 0; i < n; i++) free(args[i]);
  free(args);
  errno = saved;
  return throw_errno(env, file);
}

static napi_value kill_errno(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t pid = 0, signo = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || napi_get_value_int32(env, argv[1], &signo) != napi_ok) {
    napi_throw_type_error(env, NULL, "kill(pid: number, signo: number)");
    return NULL;
  }
  int err = (pid == 0 || pid == -1 || signo < 0 || signo >= NSIG) ? EINVAL : (kill((pid_t)pid, signo) == 0 ? 0 : errno);
  napi_value result;
  napi_create_int32(env, err, &result);
  return result;
}

void reaper_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setSubreaper", NULL, set_subreaper, NULL, NULL, NULL, napi_default, NULL},
      {"reapOrphans", NULL, reap_orphans, NULL, NULL, NULL, napi_default, NULL},
      {"execvp", NULL, exec_vp, NULL, NULL, NULL, napi_default, NULL},
      {"spawn", NULL, spawn_direct, NULL, NULL, NULL, napi_default, NULL},
      {"spawnFailure", NULL, spawn_failure, NULL, NULL, NULL, napi_default, NULL},
      {"kill", NULL, kill_errno, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
