/*
 * Process-level controls the daemon needs and node does not offer:
 *  - realtime signals (keepalived's JSON and STATS_CLEAR signals are SIGRTMIN+2 and SIGRTMAX-1): node's
 *    process.on() only knows named signals, and an unhandled realtime signal terminates the process. A
 *    process-wide handler writes the signal number into a datagram socket pair; JS reads the other end
 *    with recvmsg when pollStart says it is readable (the self-pipe trick, async-signal-safe);
 *  - entering a named network namespace (keepalived -s NAME) with setns(2), on the calling thread (the
 *    main thread: children forked from it start in that namespace);
 *  - the process settings keepalived applies to itself and its children (process names, *_no_swap,
 *    *_cpu_affinity, *_rlimit_rttime): prctl(PR_SET_NAME), mlockall, sched_setaffinity, setrlimit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* setThreadName(name): the calling thread's name (its comm, what ps and top show), at most 15 bytes. */
napi_value js_set_thread_name(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[16];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &n) != napi_ok)
    return throw_type(env, "setThreadName takes a string");
  if (prctl(PR_SET_NAME, name, 0, 0, 0) < 0) return throw_errno(env, "prctl", errno);
  return NULL;
}

/* lockMemory(): mlockall of the pages mapped now and later, each locked once touched (MCL_ONFAULT), so
 * that the large address space reservations of a JS engine are not faulted in. */
napi_value js_lock_memory(napi_env env, napi_callback_info info) {
  (void)info;
  if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0) return throw_errno(env, "mlockall", errno);
  return NULL;
}

/* setAffinity(tid, cpus: number[]): sched_setaffinity of one thread (0: the calling one). */
napi_value js_set_affinity(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t tid = 0;
  bool is_array = false;
  uint32_t count = 0;
  cpu_set_t set;
  if (!arg_int(env, argv[0], &tid)) return NULL;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) return throw_type(env, "setAffinity takes an array of cpu numbers");
  napi_get_array_length(env, argv[1], &count);
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    int32_t cpu = 0;
    napi_get_element(env, argv[1], i, &item);
    if (!arg_int(env, item, &cpu)) return NULL;
    if (cpu < 0 || cpu >= CPU_SETSIZE) return throw_type(env, "cpu number out of range");
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(tid, sizeof(set), &set) < 0) return throw_errno(env, "sched_setaffinity", errno);
  return NULL;
}

/* setRlimit(resource, soft, hard): setrlimit of the process; a negative value is RLIM_INFINITY. */
napi_value js_set_rlimit(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t resource = 0;
  int64_t soft = 0, hard = 0;
  if (!arg_int(env, argv[0], &resource)) return NULL;
  if (napi_get_value_int64(env, argv[1], &soft) != napi_ok || napi_get_value_int64(env, argv[2], &hard) != napi_ok)
    return throw_type(env, "setRlimit takes numbers");
  struct rlimit lim = {
      .rlim_cur = soft < 0 ? RLIM_INFINITY : (rlim_t)soft,
      .rlim_max = hard < 0 ? RLIM_INFINITY : (rlim_t)hard,
  };
  if (setrlimit(resource, &lim) < 0) return throw_errno(env, "setrlimit", errno);
  return NULL;
}
