/*
 * The kernel's own cost of a TCP_CHECK on loopback, without any of our code: a forked listener accepts
 * and closes; the parent runs non-blocking connects, BATCH at a time in one epoll set, closes each once
 * connected (FIN, as keepalived 2.2 does), and prints its own user and system CPU per connect.
 *   connect-floor PROBES [BATCH=256] [PORTS=100]
 * Run it inside a fresh network namespace (bench/checkers-floor.ts does).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE_PORT 20000

static void listener(int ports, int ready_fd) {
  int ep = epoll_create1(0);
  for (int i = 0; i < ports; i++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(BASE_PORT + i)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4096) < 0) _exit(1);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  }
  if (write(ready_fd, "r", 1) != 1) _exit(1);
  struct epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; i++) {
      int c;
      while ((c = accept4(evs[i].data.fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) close(c);
    }
  }
}

static int start(int ep, long i, int ports) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(BASE_PORT + (int)(i % ports))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
    close(s);
    return 0;
  }
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLONESHOT, .data.fd = s};
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  return 1;
}

static double seconds(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
  long probes = argc > 1 ? atol(argv[1]) : 100000;
  int batch = argc > 2 ? atoi(argv[2]) : 256, ports = argc > 3 ? atoi(argv[3]) : 100;
  int pipefd[2];
  char c;
  if (pipe(pipefd) < 0) return 1;
  pid_t child = fork();
  if (child == 0) listener(ports, pipefd[1]);
  if (read(pipefd[0], &c, 1) != 1) return 1;
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  int ep = epoll_create1(0);
  long started = 0, done = 0, failed = 0, pending = 0;
  struct epoll_event evs[256];
  while (done < probes) {
    while (pending < batch && started < probes) {
      if (start(ep, started++, ports)) pending++;
      else failed++, done++;
    }
    int n = epoll_wait(ep, evs, 256, 1000);
    for (int i = 0; i < n; i++) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(evs[i].data.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) failed++;
      close(evs[i].data.fd);
      pending--, done++;
    }
  }
  getrusage(RUSAGE_SELF, &after);
  double user = seconds(after.ru_utime) - seconds(before.ru_utime);
  double sys = seconds(after.ru_stime) - seconds(before.ru_stime);
  printf("probes %ld failed %ld cpu_us_per_probe %.1f user_us %.1f sys_us %.1f\n", probes, failed,
         (user + sys) * 1e6 / (double)probes, user * 1e6 / (double)probes, sys * 1e6 / (double)probes);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return 0;
}
