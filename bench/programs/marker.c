/* marker PATH: the program every scenario supervises. Writes "<monotonic ns> <pid>" to PATH as soon as it
 * runs, then sleeps until SIGTERM/SIGINT and exits 0 at once. */
#include "common.h"

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: marker PATH\n"); return 2; }
  stamp(argv[1]);
  wait_for_stop();
}
