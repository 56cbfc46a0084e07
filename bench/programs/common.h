/* Shared helpers for the benchmark programs: monotonic timestamps (the same clock as the harness's
 * process.hrtime) written atomically to marker files, and a wait for SIGTERM/SIGINT. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((unused)) static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Write "<text>\n" to path through path.tmp + rename, so a reader never sees a half-written marker. */
__attribute__((unused)) static void write_marker(const char *path, const char *text) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { perror(tmp); _exit(111); }
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1) { perror(tmp); _exit(111); }
  close(fd);
  if (rename(tmp, path) != 0) { perror(path); _exit(111); }
}

__attribute__((unused)) static void stamp(const char *path) {
  char text[64];
  snprintf(text, sizeof text, "%lld %d", now_ns(), (int)getpid());
  write_marker(path, text);
}

__attribute__((unused)) static void on_stop(int sig) { (void)sig; _exit(0); }

/* Sleep until SIGTERM or SIGINT (pm2 stops with SIGINT), then exit 0 at once. */
__attribute__((unused)) static void wait_for_stop(void) {
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  for (;;) pause();
}
