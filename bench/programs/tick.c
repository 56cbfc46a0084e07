/* tick FILE: append one byte to FILE and exit 0 (the restart scenario counts bytes = starts). */
#include "common.h"

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: tick FILE\n"); return 2; }
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0 || write(fd, "x", 1) != 1) { perror(argv[1]); return 1; }
  return 0;
}
