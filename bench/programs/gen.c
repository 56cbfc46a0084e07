/* gen ID LINES DIR [stay] [block]: write LINES lines of exactly 100 bytes to stdout as fast as it can.
 * Line: "@@" ID(2) " " SEQ(9) " " then 84 filler bytes that depend on SEQ, "\n".
 * Default: 40 whole lines (4000 bytes, under PIPE_BUF) per write(2): writers sharing one pipe never tear
 * a line. "block": 4096-byte writes whatever the line ends, as C stdio does on a pipe: lines straddle
 * writes, and a tool that copies chunks from several programs interleaves half lines.
 * All generators start together: each stamps DIR/gen-ID.ready and blocks opening the FIFO DIR/go until
 * the harness opens its other end; then stamps DIR/gen-ID.start, writes, waits until the reader has
 * taken every byte (FIONREAD on a pipe, SIOCOUTQ on a socket) and stamps DIR/gen-ID.done. With "stay"
 * it then sleeps until SIGTERM/SIGINT (so that no supervisor sees an exit), else exits 0. */
#include "common.h"
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define LINE 100
#define PER_WRITE 40
#define BLOCK 4096
static const char ALPHA[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static char rep[62 * 3];

static void make_line(char *l, int id, long seq) {
  unsigned v = (unsigned)(seq % 1000000000L);
  l[0] = '@'; l[1] = '@'; l[2] = (char)('0' + id / 10 % 10); l[3] = (char)('0' + id % 10); l[4] = ' ';
  for (int k = 13; k >= 5; k--) { l[k] = (char)('0' + v % 10); v /= 10; }
  l[14] = ' ';
  memcpy(l + 15, rep + (seq + 15) % 62, LINE - 16); /* l[k] = ALPHA[(seq + k) % 62] */
  l[LINE - 1] = '\n';
}

static int write_all(const char *p, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(1, p + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    off += (size_t)w;
  }
  return 0;
}

/* Until the reader has taken everything we wrote (at most 10 minutes). */
static void wait_drained(void) {
  struct stat st;
  if (fstat(1, &st) != 0) return;
  for (int i = 0; i < 600000; i++) {
    int queued = 0;
    if (S_ISFIFO(st.st_mode)) {
      if (ioctl(1, FIONREAD, &queued) != 0) return;
    } else if (S_ISSOCK(st.st_mode)) {
      if (ioctl(1, SIOCOUTQ, &queued) != 0) return;
    } else return;
    if (queued == 0) return;
    usleep(1000);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: gen ID LINES DIR [stay] [block]\n"); return 2; }
  int id = atoi(argv[1]);
  long lines = atol(argv[2]);
  const char *dir = argv[3];
  int stay = 0, block = 0;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "stay") == 0) stay = 1;
    else if (strcmp(argv[i], "block") == 0) block = 1;
  }
  char path[4096];
  static char buf[LINE * PER_WRITE + BLOCK];
  for (int k = 0; k < 62 * 3; k++) rep[k] = ALPHA[k % 62];
  signal(SIGPIPE, SIG_DFL);
  /* start barrier: say we are ready, then block opening the FIFO DIR/go until the harness opens it */
  snprintf(path, sizeof path, "%s/gen-%02d.ready", dir, id);
  stamp(path);
  snprintf(path, sizeof path, "%s/go", dir);
  int go;
  while ((go = open(path, O_RDONLY)) < 0 && errno == EINTR) {}
  if (go < 0) { perror(path); return 1; }
  close(go);
  snprintf(path, sizeof path, "%s/gen-%02d.start", dir, id);
  stamp(path);
  long seq = 0;
  size_t have = 0; /* block mode: bytes staged in buf */
  while (seq < lines) {
    size_t n = 0;
    for (; n < PER_WRITE && seq < lines; n++, seq++) make_line(buf + have + n * LINE, id, seq);
    if (!block) {
      if (write_all(buf, n * LINE) != 0) return 1;
      continue;
    }
    have += n * LINE;
    size_t off = 0;
    for (; have - off >= BLOCK; off += BLOCK)
      if (write_all(buf + off, BLOCK) != 0) return 1;
    memmove(buf, buf + off, have - off);
    have -= off;
  }
  if (have > 0 && write_all(buf, have) != 0) return 1;
  wait_drained();
  snprintf(path, sizeof path, "%s/gen-%02d.done", dir, id);
  stamp(path);
  if (stay) wait_for_stop();
  return 0;
}
