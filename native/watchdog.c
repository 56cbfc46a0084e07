/*
 * The file-system watchdog of procinit's start (src/cli/fs-watchdog.ts): the first config load at start
 * is synchronous (nothing runs yet, and the async path would cost start time), so a config file on a hung
 * NFS/FUSE mount would hold procinit, as PID 1 the whole container, in read(2) or stat(2) for ever, with
 * no message. A thread of its own watches each file-system call of the load instead: one that has not
 * returned within the timeout ends procinit with one line and exit 2.
 *
 *   fsWatchStart(timeoutMs)   start the watching thread (nothing is watched yet)
 *   fsWatchBegin(what)        a file-system call about `what` (a path) begins now
 *   fsWatchEnd()              it returned
 *   fsWatchStop()             the load is over: the thread ends (joined)
 *
 * On a timeout the thread writes "procinit: WHAT: no answer from the file system within N s (a hung
 * mount?)\n" to stderr and calls _exit(2): the main thread is stuck in the kernel, so nothing else could
 * run; no program has been started yet. A long load that keeps making progress (numprocs=200000 takes
 * seconds of CPU) is never cut short: only one call is timed, from its begin to its end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "addon.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static pthread_t thread;
static int running = 0;
static int stopping = 0;
static int64_t timeout_ms = 10000;
/* the call being watched: its subject, and when it began (ms, CLOCK_MONOTONIC); 0 when none */
static char subject[4096];
static int64_t began = 0;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void give_up(void) {
  char line[4400];
  int n = snprintf(line, sizeof line, "procinit: %s: no answer from the file system within %lld s (a hung mount?)\n", subject,
                   (long long)(timeout_ms / 1000));
  if (n > (int)sizeof line - 1) n = (int)sizeof line - 1;
  for (int at = 0; at < n;) {
    ssize_t w = write(2, line + at, (size_t)(n - at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    at += (int)w;
  }
  _exit(2);
}

static void *watch(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  while (!stopping) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    int64_t wait = timeout_ms;
    if (began != 0) {
      int64_t left = began + timeout_ms - now_ms();
      if (left <= 0) give_up();
      wait = left;
    }
    until.tv_sec += wait / 1000;
    until.tv_nsec += (wait % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec += 1;
      until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&changed, &lock, &until);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

static napi_value fs_watch_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t ms = 10000;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1) napi_get_value_int64(env, argv[0], &ms);
  napi_value result;
  pthread_mutex_lock(&lock);
  if (running) {
    pthread_mutex_unlock(&lock);
    napi_get_boolean(env, true, &result);
    return result;
  }
  timeout_ms = ms > 0 ? ms : 10000;
  stopping = 0;
  began = 0;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&changed, &attr);
  pthread_condattr_destroy(&attr);
  running = pthread_create(&thread, NULL, watch, NULL) == 0;
  pthread_mutex_unlock(&lock);
  napi_get_boolean(env, running, &result);
  return result;
}

static napi_value fs_watch_begin(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  size_t len = 0;
  pthread_mutex_lock(&lock);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], subject, sizeof subject, &len) != napi_ok) {
    snprintf(subject, sizeof subject, "the config");
  }
  began = now_ms();
  if (began == 0) began = 1;
  pthread_mutex_unlock(&lock);
  return NULL;
}

static napi_value fs_watch_end(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  pthread_mutex_lock(&lock);
  began = 0;
  pthread_mutex_unlock(&lock);
  return NULL;
}

static napi_value fs_watch_stop(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  pthread_mutex_lock(&lock);
  if (!running) {
    pthread_mutex_unlock(&lock);
    return NULL;
  }
  stopping = 1;
  began = 0;
  pthread_cond_signal(&changed);
  pthread_mutex_unlock(&lock);
  pthread_join(thread, NULL);
  pthread_mutex_lock(&lock);
  running = 0;
  pthread_cond_destroy(&changed);
  pthread_mutex_unlock(&lock);
  return NULL;
}

void watchdog_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"fsWatchStart", NULL, fs_watch_start, NULL, NULL, NULL, napi_default, NULL},
      {"fsWatchBegin", NULL, fs_watch_begin, NULL, NULL, NULL, napi_default, NULL},
      {"fsWatchEnd", NULL, fs_watch_end, NULL, NULL, NULL, napi_default, NULL},
      {"fsWatchStop", NULL, fs_watch_stop, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
