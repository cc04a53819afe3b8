/*
 * Process-level controls the daemon needs and node does not offer:
 *  - realtime signals (keepalived's JSON and STATS_CLEAR signals are SIGRTMIN+2 and SIGRTMAX-1): node's
 *    process.on() only knows named signals, and an unhandled realtime signal terminates the process. A
 *    process-wide handler writes the signal number into a datagram socket pair; JS reads the other end
 *    with recvmsg when pollStart says it is readable (the self-pipe trick, async-signal-safe);
 *  - entering a named network namespace (keepalived -s NAME) with setns(2), on the calling thread (the
 *    main thread: children forked from it start in that namespace).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"

/* Write end shared by every handler; -1 until signalSocket ran once. */
static volatile int signal_write_fd = -1;
static int signal_read_fd = -1;

static void on_signal(int signum) {
  int saved = errno;
  unsigned char byte = (unsigned char)signum;
  if (signal_write_fd >= 0) (void)send(signal_write_fd, &byte, 1, MSG_DONTWAIT);
  errno = saved;
}

/* signalSocket(signums: number[]): fd — readable whenever one of the signals arrived; each datagram is
 * one byte, the signal number. Calling it again adds signals and returns the same descriptor. */
napi_value js_signal_socket(napi_env env, napi_callback_info info) {
  ARGS(1);
  bool is_array = false;
  uint32_t count = 0;
  napi_is_array(env, argv[0], &is_array);
  if (!is_array) return throw_type(env, "signalSocket takes an array of signal numbers");
  napi_get_array_length(env, argv[0], &count);
  if (signal_read_fd < 0) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) < 0)
      return throw_errno(env, "socketpair", errno);
    signal_read_fd = pair[0];
    signal_write_fd = pair[1];
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    int32_t signum = 0;
    napi_get_element(env, argv[0], i, &item);
    if (!arg_int(env, item, &signum)) return NULL;
    if (signum <= 0 || signum > SIGRTMAX || signum == SIGKILL || signum == SIGSTOP)
      return throw_type(env, "not a signal that can be caught");
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signum, &sa, NULL) < 0) return throw_errno(env, "sigaction", errno);
  }
  return int_result(env, signal_read_fd);
}

/* rtSignals(): { min, max } — SIGRTMIN and SIGRTMAX as the C library defines them. */
napi_value js_rt_signals(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_object(env, &result);
  set_u32(env, result, "min", (uint32_t)SIGRTMIN);
  set_u32(env, result, "max", (uint32_t)SIGRTMAX);
  return result;
}

/* setns(path): the calling thread joins the network namespace bound at path (/run/netns/NAME). */
napi_value js_setns(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[4096];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &n) != napi_ok || n == 0)
    return throw_type(env, "setns takes a path");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open", errno);
  if (setns(fd, CLONE_NEWNET) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setns", err);
  }
  close(fd);
  return NULL;
}
