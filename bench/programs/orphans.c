/* orphans COUNT DIR: after 200 ms, fork a child that forks COUNT grandchildren which exit at once, and
 * then exits without waiting for them: COUNT zombies are orphaned in one go and go to PID 1 (or the
 * nearest subreaper). That child stamps DIR/orphaned.start ("<monotonic ns> <count>") just before it
 * exits; once it is gone (so every orphan has been handed over) this process stamps DIR/orphaned and
 * sleeps until SIGTERM/SIGINT, so that the supervisor above keeps running. */
#include "common.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: orphans COUNT DIR\n"); return 2; }
  int count = atoi(argv[1]);
  char path[4096];
  usleep(200 * 1000);
  pid_t mid = fork();
  if (mid < 0) { perror("fork"); return 1; }
  if (mid == 0) {
    int made = 0;
    for (int i = 0; i < count; i++) {
      pid_t p = fork();
      if (p == 0) _exit(0);
      if (p < 0) {
        if (errno == EAGAIN) { usleep(1000); i--; continue; }
        perror("fork");
        break;
      }
      made++;
    }
    char text[64];
    snprintf(text, sizeof text, "%lld %d", now_ns(), made);
    snprintf(path, sizeof path, "%s/orphaned.start", argv[2]);
    write_marker(path, text);
    _exit(0);
  }
  while (waitpid(mid, NULL, 0) < 0 && errno == EINTR) {}
  snprintf(path, sizeof path, "%s/orphaned", argv[2]);
  stamp(path);
  wait_for_stop();
}
