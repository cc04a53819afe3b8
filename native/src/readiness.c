/*
 * Readiness through libuv (uv_poll on any descriptor), CLOCK_MONOTONIC time and timerfd, and the
 * scheduling policy of the main thread.
 *
 * Lifetime rules, because a poll outlives neither libuv nor the napi environment safely by accident:
 *  - the JS side (callback reference, async context) is released synchronously by whoever closes the
 *    poll while the environment is alive: pollStop, the GC finalizer, or the environment teardown hook;
 *    when that happens inside the poll's own callback it is deferred until the callback returns;
 *  - the uv_close callback only records that libuv let go and frees memory; it never calls into napi;
 *  - an async environment cleanup hook closes every live poll before node tears the environment down
 *    (finalizers run after it, when they must not touch the loop), and holds teardown until libuv has
 *    released every handle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "addon.h"

/* ------------------------------------------------------------------ readiness through libuv */

typedef struct poll_state poll_state;

/* One per napi environment (main thread, each worker): the polls libuv still holds. */
typedef struct {
  poll_state *live;
  napi_async_cleanup_hook_handle teardown_hook;
  int tearing_down;
} addon_state;

/*
 * A poll is owned twice: by libuv until its close callback ran, and by the JS external that
 * pollStart returns until the GC (or environment teardown) finalizes it. Freed when both let go.
 */
struct poll_state {
  uv_poll_t handle;
  addon_state *owner;
  poll_state *prev, *next; /* in owner->live until the close callback */
  napi_env env;
  napi_ref callback;
  napi_async_context async_context;
  int closing, closed, finalized;
  int in_callback; /* JS is running on behalf of this poll: keep its JS resources until it returns */
  int js_released;
};

static void poll_release_js(poll_state *p) {
  if (p->js_released) return;
  p->js_released = 1;
  napi_delete_reference(p->env, p->callback);
  napi_async_destroy(p->env, p->async_context);
}

/* libuv has let go of the handle. Touches only this poll's memory and the per-environment list. */
static void poll_on_close(uv_handle_t *handle) {
  poll_state *p = (poll_state *)handle->data;
  addon_state *s = p->owner;
  p->closed = 1;
  if (p->prev) p->prev->next = p->next;
  else s->live = p->next;
  if (p->next) p->next->prev = p->prev;
  if (p->finalized) free(p);
  if (s->tearing_down && s->live == NULL) napi_remove_async_cleanup_hook(s->teardown_hook);
}

/* Idempotent: stop watching now, release the JS side unless its callback is running, free later. */
static void poll_close(poll_state *p) {
  if (p->closing) return;
  p->closing = 1;
  uv_poll_stop(&p->handle);
  uv_close((uv_handle_t *)&p->handle, poll_on_close);
  if (!p->in_callback) poll_release_js(p);
}

/* GC of the external, or the environment going away (then teardown already closed the poll). */
static void poll_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  poll_state *p = (poll_state *)data;
  p->finalized = 1;
  if (p->closed) free(p);
  else poll_close(p);
}

/* Readable (or failed, status < 0): hand the status to JS, which drains until EAGAIN. */
static void poll_on_event(uv_poll_t *handle, int status, int events) {
  (void)events;
  poll_state *p = (poll_state *)handle->data;
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_value callback, recv, arg, result;
  if (p->closing) return;
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, p->callback, &callback);
  napi_get_global(env, &recv); /* MakeCallback wants an object receiver */
  napi_create_int32(env, status, &arg);
  p->in_callback = 1;
  napi_status rc = napi_make_callback(env, p->async_context, recv, callback, 1, &arg, &result);
  p->in_callback = 0;
  if (rc == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error); /* becomes process 'uncaughtException', as for any callback */
  }
  napi_close_handle_scope(env, scope);
  /* The callback stopped its own poll: libuv cannot free it before this returns (close callbacks
   * run on a later loop phase), so the deferred JS release is safe here. */
  if (p->closing) poll_release_js(p);
}

/* Environment teardown: close every live poll while napi still works; node waits for the removal. */
static void on_teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  addon_state *s = (addon_state *)arg;
  s->tearing_down = 1;
  s->teardown_hook = hook;
  for (poll_state *p = s->live; p != NULL; p = p->next) poll_close(p);
  if (s->live == NULL) napi_remove_async_cleanup_hook(hook);
}

static void state_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  addon_state *s = (addon_state *)data;
  if (s->live == NULL) free(s); /* else a close callback still needs it: leak rather than crash */
}

int readiness_init(napi_env env) {
  addon_state *s = (addon_state *)calloc(1, sizeof(*s));
  if (s == NULL) {
    throw_errno(env, "calloc", ENOMEM);
    return 0;
  }
  if (napi_set_instance_data(env, s, state_finalize, NULL) != napi_ok ||
      napi_add_async_cleanup_hook(env, on_teardown, s, NULL) != napi_ok) {
    free(s);
    napi_throw_error(env, NULL, "keepalived_native: cannot register the environment cleanup hook");
    return 0;
  }
  return 1;
}

napi_value js_poll_start(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  napi_valuetype t;
  uv_loop_t *loop;
  napi_value external, name;
  addon_state *s = NULL;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) return throw_type(env, "expected a callback");
  napi_get_instance_data(env, (void **)&s);
  if (s == NULL || s->tearing_down) return throw_errno(env, "uv_poll_init", ESHUTDOWN);
  poll_state *p = (poll_state *)calloc(1, sizeof(*p));
  if (p == NULL) return throw_errno(env, "calloc", ENOMEM);
  napi_get_uv_event_loop(env, &loop);
  /* uv_poll_init registers nothing when it fails, so plain free() is right there. */
  int rc = uv_poll_init(loop, &p->handle, fd);
  if (rc < 0) {
    free(p);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  p->env = env;
  p->owner = s;
  p->handle.data = p;
  p->next = s->live;
  if (s->live) s->live->prev = p;
  s->live = p;
  napi_create_reference(env, argv[1], 1, &p->callback);
  napi_create_string_utf8(env, "keepalived-ts:poll", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->async_context);
  rc = uv_poll_start(&p->handle, UV_READABLE, poll_on_event);
  if (rc < 0) {
    p->finalized = 1; /* no JS object will own it: freed by the close callback */
    poll_close(p);
    return throw_errno(env, "uv_poll_start", -rc);
  }
  napi_create_external(env, p, poll_finalize, NULL, &external);
  return external;
}

static poll_state *arg_poll(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) throw_type(env, "expected a poll handle");
  return (poll_state *)data;
}

/* Stops and releases the poll; call it before closing the descriptor. Idempotent, and safe from
 * inside the poll's own callback. */
napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  ARGS(1);
  poll_state *p = arg_poll(env, argv[0]);
  if (p != NULL) poll_close(p);
  return NULL;
}

/* pollRef(handle, keepAlive): whether this poll alone keeps the event loop running. */
napi_value js_poll_ref(napi_env env, napi_callback_info info) {
  ARGS(2);
  bool keep = true;
  poll_state *p = arg_poll(env, argv[0]);
  if (p == NULL) return NULL;
  napi_get_value_bool(env, argv[1], &keep);
  if (!p->closing) {
    if (keep)
      uv_ref((uv_handle_t *)&p->handle);
    else
      uv_unref((uv_handle_t *)&p->handle);
  }
  return NULL;
}

/* ------------------------------------------------------------------ monotonic time and timerfd */

napi_value js_monotonic_now(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec ts;
  napi_value v;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  napi_create_bigint_uint64(env, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, &v);
  return v;
}

napi_value js_timerfd_create(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, "timerfd_create", errno);
  return int_result(env, fd);
}

static int arg_ns(napi_env env, napi_value v, uint64_t *out) {
  bool lossless;
  if (napi_get_value_bigint_uint64(env, v, out, &lossless) != napi_ok || !lossless) {
    throw_type(env, "expected a non-negative bigint of nanoseconds");
    return 0;
  }
  return 1;
}

/* timerfdArm(fd, deadlineNs, intervalNs): absolute CLOCK_MONOTONIC deadline; 0n disarms. */
napi_value js_timerfd_arm(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  uint64_t deadline, interval = 0;
  struct itimerspec spec;
  if (!arg_int(env, argv[0], &fd) || !arg_ns(env, argv[1], &deadline)) return NULL;
  if (!is_nullish(env, argv[2]) && !arg_ns(env, argv[2], &interval)) return NULL;
  spec.it_value.tv_sec = (time_t)(deadline / 1000000000ull);
  spec.it_value.tv_nsec = (long)(deadline % 1000000000ull);
  spec.it_interval.tv_sec = (time_t)(interval / 1000000000ull);
  spec.it_interval.tv_nsec = (long)(interval % 1000000000ull);
  if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL) < 0) return throw_errno(env, "timerfd_settime", errno);
  return NULL;
}

/* timerfdRead(fd): expirations since the last read, 0 when none (never blocks). */
napi_value js_timerfd_read(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  uint64_t expirations = 0;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  if (read(fd, &expirations, sizeof(expirations)) < 0) {
    if (errno != EAGAIN && errno != EINTR) return throw_errno(env, "read", errno);
    expirations = 0;
  }
  return int_result(env, (int64_t)expirations);
}

/* setScheduler(policy, priority): 'rr' / 'fifo' (priority 1..99) or 'other' for the calling thread, so the
 * main loop can wake on time under CPU contention (keepalived's vrrp_rt_priority). */
napi_value js_set_scheduler(napi_env env, napi_callback_info info) {
  ARGS(2);
  char name[8] = "";
  size_t n = 0;
  int32_t priority = 0;
  struct sched_param param;
  napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &n);
  if (!arg_int(env, argv[1], &priority)) return NULL;
  int policy = strcmp(name, "rr") == 0 ? SCHED_RR : strcmp(name, "fifo") == 0 ? SCHED_FIFO : SCHED_OTHER;
  if (policy == SCHED_OTHER && strcmp(name, "other") != 0) return throw_type(env, "policy is rr, fifo or other");
  memset(&param, 0, sizeof(param));
  param.sched_priority = policy == SCHED_OTHER ? 0 : priority;
  /* Children (notify and track scripts) must not inherit realtime priority: a busy script would then
     compete with the adverts, so the realtime policies reset on fork, as keepalived sets them. */
  int flags = policy == SCHED_OTHER ? 0 : SCHED_RESET_ON_FORK;
  if (sched_setscheduler(0, policy | flags, &param) < 0) return throw_errno(env, "sched_setscheduler", errno);
  return NULL;
}

napi_value js_get_scheduler(napi_env env, napi_callback_info info) {
  (void)info;
  struct sched_param param;
  napi_value result;
  int policy = sched_getscheduler(0);
  if (policy >= 0) policy &= ~SCHED_RESET_ON_FORK;
  if (policy < 0 || sched_getparam(0, &param) < 0) return throw_errno(env, "sched_getscheduler", errno);
  napi_create_object(env, &result);
  set_str(env, result, "policy", policy == SCHED_RR ? "rr" : policy == SCHED_FIFO ? "fifo" : "other");
  set_u32(env, result, "priority", (uint32_t)param.sched_priority);
  return result;
}

