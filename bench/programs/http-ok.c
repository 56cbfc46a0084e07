/*
 * http-ok: the smallest HTTP server for the probe-cost benchmark (bench/probes.mjs). Listens on
 * 127.0.0.1:$PORT and answers every request with "200 OK" and an empty body, one connection at a time.
 * About 1 MB of RSS, so that a hundred of them leave the machine to procinit.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  const char *port = getenv("PORT");
  if (!port) return 2;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 64) != 0) {
    perror("http-ok");
    return 1;
  }
  static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  char buf[4096];
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    ssize_t n = read(c, buf, sizeof buf);
    if (n > 0 && write(c, answer, sizeof answer - 1) < 0) { /* the prober went away */ }
    close(c);
  }
}
