/*
 * Batched TCP connect prober (TCP_CHECK): thousands of non-blocking connects in flight at once, all
 * watched by ONE epoll descriptor that libuv polls, with connect timeouts kept in a deadline heap
 * here (one timerfd in the same epoll set wakes us for the earliest). Each wake drains every ready
 * socket, expires every overdue one, and hands all completions to JS in one callback, so a probe
 * costs JS no object, no timer and no callback of its own.
 *
 * A probe is described by a fixed-size record (layout below, shared with src/net/tcp-prober.ts) and
 * identified by a handle = slot index | generation << SLOT_BITS, returned by submit and reported back
 * with the errno of the outcome (0: connected; ETIMEDOUT: our deadline passed).
 *
 * A settled socket is closed with a FIN when the record asks for a graceful close (what keepalived 2.2
 * sends: it sets a 5 s SO_LINGER and its close() blocks until the FIN is acknowledged, which an event
 * loop cannot afford, so here the kernel finishes the close in the background), otherwise with an RST
 * (SO_LINGER {1, 0}, as keepalived up to 2.0 did): cheaper, and no TIME_WAIT socket per probe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "addon.h"

/* ------------------------------------------------------------------ the request record */

enum {
  REC_FAMILY = 0,     /* u8: 4 or 6 */
  REC_FLAGS = 1,      /* u8: TCP_PROBE_F_* */
  REC_PORT = 2,       /* u16 host order */
  REC_BIND_PORT = 4,  /* u16 host order, 0: any */
  REC_TIMEOUT = 8,    /* u32 ms */
  REC_MARK = 12,      /* u32 SO_MARK */
  REC_SCOPE_ID = 16,  /* u32 IPv6 scope id */
  REC_DST = 20,       /* 16 bytes, network order (IPv4 in the first 4) */
  REC_BIND_ADDR = 36, /* 16 bytes, network order */
  REC_IFNAME = 52,    /* IFNAMSIZ bytes, NUL-terminated */
};
_Static_assert(REC_IFNAME + IFNAMSIZ <= TCP_PROBE_RECORD_SIZE, "record layout");

#define F_BIND_ADDR TCP_PROBE_F_BIND_ADDR
#define F_BIND_DEVICE TCP_PROBE_F_BIND_DEVICE
#define F_SCOPE_FROM_IFNAME TCP_PROBE_F_SCOPE_FROM_IFNAME
#define F_MARK TCP_PROBE_F_MARK
#define F_GRACEFUL_CLOSE TCP_PROBE_F_GRACEFUL_CLOSE

#define SLOT_BITS 20u
#define SLOT_MASK ((1u << SLOT_BITS) - 1u)
#define MAX_SLOTS (1u << SLOT_BITS)
#define GEN_MASK ((1u << (32u - SLOT_BITS)) - 1u)
/* epoll data of the two helper descriptors: never a valid slot index */
#define TOKEN_TIMER 0xfffffffeu
#define TOKEN_WAKE 0xffffffffu

typedef struct {
  int fd; /* -1: free */
  uint32_t gen;
  uint32_t heap_pos;
  uint64_t deadline_ms;
} slot_t;

typedef struct prober prober_t;
struct prober {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref results_ref;
  napi_async_context async_context;
  napi_async_cleanup_hook_handle hook;
  uint32_t *results; /* pairs (handle, errno) in the JS results buffer */
  uint32_t results_cap;
  int epfd, timerfd, wakefd;
  slot_t *slots;
  uint32_t nslots, slots_cap;
  uint32_t *free_slots;
  uint32_t nfree;
  uint32_t *heap; /* slot indices, min-heap on deadline */
  uint32_t heap_len;
  uint64_t armed_ms; /* deadline the timerfd is armed for, 0: disarmed */
  uint32_t *done;    /* completions waiting for JS: pairs (handle, errno) */
  uint32_t ndone, done_cap;
  uint32_t in_flight;
  int wake_pending;
  int referenced, closing, closed, finalized, in_callback, js_released;
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------------ deadline heap */

static int heap_before(prober_t *p, uint32_t a, uint32_t b) {
  return p->slots[p->heap[a]].deadline_ms < p->slots[p->heap[b]].deadline_ms;
}

static void heap_swap(prober_t *p, uint32_t a, uint32_t b) {
  uint32_t t = p->heap[a];
  p->heap[a] = p->heap[b];
  p->heap[b] = t;
  p->slots[p->heap[a]].heap_pos = a;
  p->slots[p->heap[b]].heap_pos = b;
}

static void heap_up(prober_t *p, uint32_t i) {
  while (i > 0 && heap_before(p, i, (i - 1) / 2)) {
    heap_swap(p, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

static void heap_down(prober_t *p, uint32_t i) {
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < p->heap_len && heap_before(p, l, m)) m = l;
    if (r < p->heap_len && heap_before(p, r, m)) m = r;
    if (m == i) return;
    heap_swap(p, i, m);
    i = m;
  }
}

static void heap_remove(prober_t *p, uint32_t pos) {
  uint32_t last = --p->heap_len;
  if (pos != last) {
    heap_swap(p, pos, last);
    heap_down(p, pos);
    heap_up(p, pos);
  }
}

/* Keeps the timerfd armed for the earliest deadline; rearms only when that changes. */
static void arm_timer(prober_t *p) {
  uint64_t want = p->heap_len ? p->slots[p->heap[0]].deadline_ms : 0;
  if (want == p->armed_ms) return;
  struct itimerspec spec;
  memset(&spec, 0, sizeof(spec));
  spec.it_value.tv_sec = (time_t)(want / 1000u);
  spec.it_value.tv_nsec = (long)(want % 1000u) * 1000000L;
  if (timerfd_settime(p->timerfd, TFD_TIMER_ABSTIME, &spec, NULL) == 0) p->armed_ms = want;
}

/* ------------------------------------------------------------------ slots and completions */

static int grow(void **array, uint32_t *cap, size_t elem, uint32_t want) {
  if (want <= *cap) return 1;
  uint32_t n = *cap ? *cap : 64;
  while (n < want) n *= 2;
  void *bigger = realloc(*array, (size_t)n * elem);
  if (bigger == NULL) return 0;
  *array = bigger;
  *cap = n;
  return 1;
}

static void update_ref(prober_t *p) {
  int want = p->in_flight > 0 || p->ndone > 0;
  if (want == p->referenced || p->closing) return;
  p->referenced = want;
  if (want)
    uv_ref((uv_handle_t *)&p->poll);
  else
    uv_unref((uv_handle_t *)&p->poll);
}

/* Queues a completion for the next delivery. Cannot fail: submit keeps done_cap >= ndone + in_flight,
 * and every completion retires one probe in flight. */
static void push_done(prober_t *p, uint32_t handle, int err) {
  p->done[2 * p->ndone] = handle;
  p->done[2 * p->ndone + 1] = (uint32_t)err;
  p->ndone++;
}

static void release_slot(prober_t *p, uint32_t index) {
  slot_t *s = &p->slots[index];
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  s->gen = (s->gen + 1) & GEN_MASK;
  p->free_slots[p->nfree++] = index;
  p->in_flight--;
}

static uint32_t handle_of(prober_t *p, uint32_t index) { return index | (p->slots[index].gen << SLOT_BITS); }

/* Completes an in-flight probe: out of the heap, socket closed, result queued. */
static void finish(prober_t *p, uint32_t index, int err) {
  uint32_t handle = handle_of(p, index);
  heap_remove(p, p->slots[index].heap_pos);
  release_slot(p, index);
  push_done(p, handle, err);
}

/* ------------------------------------------------------------------ one connect */

/* Opens, configures and connects one socket; 0 with *fd_out set (connect in progress or done), or an
 * errno when the probe failed before any packet could matter. */
static int start_connect(const uint8_t *rec, int *fd_out, int *connected) {
  struct sockaddr_storage dst, src;
  socklen_t len;
  uint8_t family = rec[REC_FAMILY], flags = rec[REC_FLAGS];
  uint16_t port, bind_port;
  uint32_t mark, scope;
  char ifname[IFNAMSIZ];
  memcpy(&port, rec + REC_PORT, 2);
  memcpy(&bind_port, rec + REC_BIND_PORT, 2);
  memcpy(&mark, rec + REC_MARK, 4);
  memcpy(&scope, rec + REC_SCOPE_ID, 4);
  memcpy(ifname, rec + REC_IFNAME, IFNAMSIZ);
  ifname[IFNAMSIZ - 1] = '\0';
  memset(&dst, 0, sizeof(dst));
  memset(&src, 0, sizeof(src));
  int af = family == 6 ? AF_INET6 : AF_INET;
  if (af == AF_INET) {
    struct sockaddr_in *d = (struct sockaddr_in *)&dst, *s = (struct sockaddr_in *)&src;
    d->sin_family = s->sin_family = AF_INET;
    d->sin_port = htons(port);
    s->sin_port = htons(bind_port);
    memcpy(&d->sin_addr, rec + REC_DST, 4);
    if (flags & F_BIND_ADDR) memcpy(&s->sin_addr, rec + REC_BIND_ADDR, 4);
    len = sizeof(struct sockaddr_in);
  } else {
    struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst, *s = (struct sockaddr_in6 *)&src;
    d->sin6_family = s->sin6_family = AF_INET6;
    d->sin6_port = htons(port);
    s->sin6_port = htons(bind_port);
    memcpy(&d->sin6_addr, rec + REC_DST, 16);
    if (flags & F_BIND_ADDR) memcpy(&s->sin6_addr, rec + REC_BIND_ADDR, 16);
    /* resolved per probe so a re-created interface (new index) keeps working */
    if ((flags & F_SCOPE_FROM_IFNAME) && ifname[0]) {
      scope = if_nametoindex(ifname);
      if (scope == 0) return errno ? errno : ENODEV;
    }
    d->sin6_scope_id = scope;
    if (IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr)) s->sin6_scope_id = scope;
    len = sizeof(struct sockaddr_in6);
  }
  int fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return errno;
  int err = 0;
  if (!(flags & F_GRACEFUL_CLOSE)) {
    struct linger reset = {1, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) < 0) err = errno;
  }
  if (!err && (flags & F_MARK) && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) err = errno;
  if (!err && (flags & F_BIND_DEVICE) && ifname[0] &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0)
    err = errno;
  if (!err && ((flags & F_BIND_ADDR) || bind_port != 0)) {
    int one = 1;
    /* a fixed source port is reused probe after probe (keepalived binds the same way) */
    if (bind_port != 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&src, len) < 0) err = errno;
  }
  if (!err && connect(fd, (struct sockaddr *)&dst, len) < 0) {
    if (errno != EINPROGRESS) err = errno;
  } else if (!err) {
    *connected = 1;
  }
  if (err) {
    close(fd);
    return err;
  }
  *fd_out = fd;
  return 0;
}

/* ------------------------------------------------------------------ the wake: drain, expire, report */

static void deliver(prober_t *p) {
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_value callback, recv, arg, result;
  uint32_t offset = 0;
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, p->callback, &callback);
  napi_get_global(env, &recv);
  p->in_callback = 1;
  while (offset < p->ndone && !p->closing) {
    uint32_t n = p->ndone - offset;
    if (n > p->results_cap) n = p->results_cap;
    memcpy(p->results, p->done + 2 * offset, (size_t)n * 2 * sizeof(uint32_t));
    offset += n;
    napi_create_uint32(env, n, &arg);
    napi_status rc = napi_make_callback(env, p->async_context, recv, callback, 1, &arg, &result);
    if (rc == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  p->in_callback = 0;
  if (!p->closing) p->ndone = 0; /* the loop delivered everything, even what the callback queued */
  napi_close_handle_scope(env, scope);
}

static void prober_release_js(prober_t *p);

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  prober_t *p = (prober_t *)handle->data;
  struct epoll_event evs[256];
  uint64_t scratch;
  if (p->closing) return;
  for (;;) {
    int n = epoll_wait(p->epfd, evs, 256, 0);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      uint32_t token = (uint32_t)evs[i].data.u64;
      if (token == TOKEN_TIMER) {
        if (read(p->timerfd, &scratch, sizeof(scratch)) < 0) { /* EAGAIN: nothing to clear */
        }
        p->armed_ms = 0; /* fired (or stale): rearm below */
        continue;
      }
      if (token == TOKEN_WAKE) {
        if (read(p->wakefd, &scratch, sizeof(scratch)) < 0) {
        }
        p->wake_pending = 0;
        continue;
      }
      uint32_t index = token & SLOT_MASK;
      /* A stale event (slot finished, maybe reused): the generation no longer matches. */
      if (index >= p->nslots || p->slots[index].fd < 0 || handle_of(p, index) != token) continue;
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(p->slots[index].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      if (err == EINPROGRESS || err == EALREADY) { /* not settled yet: watch again (ONESHOT) */
        struct epoll_event again = {.events = EPOLLOUT | EPOLLONESHOT, .data.u64 = token};
        epoll_ctl(p->epfd, EPOLL_CTL_MOD, p->slots[index].fd, &again);
        continue;
      }
      finish(p, index, err);
    }
    if (n < 256) break;
  }
  uint64_t now = now_ms();
  while (p->heap_len > 0 && p->slots[p->heap[0]].deadline_ms <= now) finish(p, p->heap[0], ETIMEDOUT);
  arm_timer(p);
  if (p->ndone > 0) deliver(p);
  if (p->closing) {
    if (!p->in_callback) prober_release_js(p);
    return;
  }
  update_ref(p);
}

/* ------------------------------------------------------------------ lifetime (as in readiness.c) */

static void prober_release_js(prober_t *p) {
  if (p->js_released) return;
  p->js_released = 1;
  napi_delete_reference(p->env, p->callback);
  napi_delete_reference(p->env, p->results_ref);
  napi_async_destroy(p->env, p->async_context);
}

static void prober_free(prober_t *p) {
  free(p->slots);
  free(p->free_slots);
  free(p->heap);
  free(p->done);
  free(p);
}

static void prober_on_close(uv_handle_t *handle) {
  prober_t *p = (prober_t *)handle->data;
  p->closed = 1;
  if (p->hook != NULL) napi_remove_async_cleanup_hook(p->hook);
  p->hook = NULL;
  if (p->finalized) prober_free(p);
}

/* Idempotent: closes every probe in flight (no completion reported), the descriptors and the poll. */
static void prober_close(prober_t *p) {
  if (p->closing) return;
  p->closing = 1;
  for (uint32_t i = 0; i < p->nslots; i++)
    if (p->slots[i].fd >= 0) release_slot(p, i);
  p->heap_len = 0;
  p->ndone = 0;
  uv_poll_stop(&p->poll);
  close(p->epfd);
  close(p->timerfd);
  close(p->wakefd);
  uv_close((uv_handle_t *)&p->poll, prober_on_close);
  if (!p->in_callback) prober_release_js(p);
}

static void prober_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  prober_t *p = (prober_t *)data;
  p->finalized = 1;
  if (p->closed)
    prober_free(p);
  else
    prober_close(p);
}

/* Environment teardown: close while napi still works; node waits until libuv let go (on_close). */
static void prober_on_teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  prober_t *p = (prober_t *)arg;
  (void)hook;
  prober_close(p);
}

/* ------------------------------------------------------------------ JS entry points */

static prober_t *arg_prober(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    throw_type(env, "expected a TCP prober handle");
    return NULL;
  }
  prober_t *p = (prober_t *)data;
  if (p->closing) {
    throw_errno(env, "tcpProber", EBADF);
    return NULL;
  }
  return p;
}

static int epoll_add(int epfd, int fd, uint32_t events, uint32_t token) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.events = events;
  ev.data.u64 = token;
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* tcpProberCreate(onBatch, results): onBatch(count) is called once per wake with `count` pairs
 * (u32 handle, i32 errno) written at the start of `results` (a Uint32Array). */
napi_value js_tcp_prober_create(napi_env env, napi_callback_info info) {
  ARGS(2);
  napi_valuetype t;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  napi_value external, name;
  uv_loop_t *loop;
  napi_typeof(env, argv[0], &t);
  if (t != napi_function) return throw_type(env, "expected a callback");
  bool is_typed = false;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint32_array || length < 2)
    return throw_type(env, "expected a Uint32Array for the results");
  prober_t *p = (prober_t *)calloc(1, sizeof(*p));
  if (p == NULL) return throw_errno(env, "calloc", ENOMEM);
  p->results = (uint32_t *)data;
  p->results_cap = (uint32_t)(length / 2);
  p->epfd = epoll_create1(EPOLL_CLOEXEC);
  p->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  p->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int err = p->epfd < 0 || p->timerfd < 0 || p->wakefd < 0 ? errno : 0;
  if (!err && (epoll_add(p->epfd, p->timerfd, EPOLLIN, TOKEN_TIMER) < 0 ||
               epoll_add(p->epfd, p->wakefd, EPOLLIN, TOKEN_WAKE) < 0))
    err = errno;
  napi_get_uv_event_loop(env, &loop);
  if (!err) err = -uv_poll_init(loop, &p->poll, p->epfd);
  if (err) {
    if (p->epfd >= 0) close(p->epfd);
    if (p->timerfd >= 0) close(p->timerfd);
    if (p->wakefd >= 0) close(p->wakefd);
    free(p);
    return throw_errno(env, "tcpProberCreate", err);
  }
  p->poll.data = p;
  p->env = env;
  napi_create_reference(env, argv[0], 1, &p->callback);
  napi_create_reference(env, argv[1], 1, &p->results_ref);
  napi_create_string_utf8(env, "keepalived-ts:tcp-prober", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->async_context);
  int rc = uv_poll_start(&p->poll, UV_READABLE, on_readable);
  if (rc == 0) uv_unref((uv_handle_t *)&p->poll); /* idle probers never keep node alive */
  if (rc < 0 || napi_add_async_cleanup_hook(env, prober_on_teardown, p, &p->hook) != napi_ok) {
    p->finalized = 1; /* no JS object owns it: freed by the close callback */
    prober_close(p);
    return throw_errno(env, "uv_poll_start", rc < 0 ? -rc : EINVAL);
  }
  napi_create_external(env, p, prober_finalize, NULL, &external);
  return external;
}

/* tcpProberSubmit(prober, record): starts one probe, returns its handle. The outcome always comes
 * through onBatch, even an immediate failure (never synchronously). */
napi_value js_tcp_prober_submit(napi_env env, napi_callback_info info) {
  ARGS(2);
  void *data;
  size_t len;
  prober_t *p = arg_prober(env, argv[0]);
  if (p == NULL || !arg_bytes(env, argv[1], &data, &len)) return NULL;
  const uint8_t *rec = (const uint8_t *)data;
  if (len < TCP_PROBE_RECORD_SIZE || (rec[REC_FAMILY] != 4 && rec[REC_FAMILY] != 6))
    return throw_type(env, "malformed TCP probe record");
  if (!grow((void **)&p->done, &p->done_cap, 2 * sizeof(uint32_t), p->ndone + p->in_flight + 1))
    return throw_errno(env, "realloc", ENOMEM);
  uint32_t index;
  if (p->nfree > 0) {
    index = p->free_slots[--p->nfree];
  } else {
    if (p->nslots >= MAX_SLOTS) return throw_errno(env, "tcpProberSubmit", EMFILE);
    uint32_t cap = p->slots_cap, fcap = p->slots_cap, hcap = p->slots_cap;
    if (!grow((void **)&p->slots, &cap, sizeof(slot_t), p->nslots + 1) ||
        !grow((void **)&p->free_slots, &fcap, sizeof(uint32_t), p->nslots + 1) ||
        !grow((void **)&p->heap, &hcap, sizeof(uint32_t), p->nslots + 1))
      return throw_errno(env, "realloc", ENOMEM);
    p->slots_cap = cap;
    index = p->nslots++;
    p->slots[index].fd = -1;
    p->slots[index].gen = 0;
  }
  slot_t *s = &p->slots[index];
  uint32_t handle = handle_of(p, index);
  uint32_t timeout_ms;
  memcpy(&timeout_ms, rec + REC_TIMEOUT, 4);
  int fd = -1, connected = 0;
  int err = start_connect(rec, &fd, &connected);
  p->in_flight++;
  if (err == 0 && !connected &&
      epoll_add(p->epfd, fd, EPOLLOUT | EPOLLONESHOT, handle) < 0) {
    err = errno;
    close(fd);
    fd = -1;
  }
  if (err != 0 || connected) {
    /* settled already: report on the next wake, through the eventfd */
    s->fd = fd;
    release_slot(p, index);
    push_done(p, handle, err);
    if (!p->wake_pending) {
      uint64_t one = 1;
      if (write(p->wakefd, &one, sizeof(one)) == sizeof(one)) p->wake_pending = 1;
    }
  } else {
    s->fd = fd;
    s->deadline_ms = now_ms() + (timeout_ms ? timeout_ms : 1);
    s->heap_pos = p->heap_len;
    p->heap[p->heap_len++] = index;
    heap_up(p, s->heap_pos);
    if (p->armed_ms == 0 || s->deadline_ms < p->armed_ms) arm_timer(p);
  }
  update_ref(p);
  return int_result(env, handle);
}

/* tcpProberCancel(prober, handle): drops a probe in flight without reporting it; false when it had
 * already settled (its outcome may still be queued for delivery). */
napi_value js_tcp_prober_cancel(napi_env env, napi_callback_info info) {
  ARGS(2);
  uint32_t handle;
  napi_value out;
  prober_t *p = arg_prober(env, argv[0]);
  if (p == NULL) return NULL;
  if (napi_get_value_uint32(env, argv[1], &handle) != napi_ok) return throw_type(env, "expected a handle");
  uint32_t index = handle & SLOT_MASK;
  int live = index < p->nslots && p->slots[index].fd >= 0 && handle_of(p, index) == handle;
  if (live) {
    heap_remove(p, p->slots[index].heap_pos);
    release_slot(p, index);
    arm_timer(p);
    update_ref(p);
  }
  napi_get_boolean(env, live, &out);
  return out;
}

/* tcpProberClose(prober): abandons every probe in flight and releases the prober (idempotent). */
napi_value js_tcp_prober_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL)
    return throw_type(env, "expected a TCP prober handle");
  prober_close((prober_t *)data);
  return NULL;
}

/* tcpProberInFlight(prober): probes started and not yet settled. */
napi_value js_tcp_prober_in_flight(napi_env env, napi_callback_info info) {
  ARGS(1);
  prober_t *p = arg_prober(env, argv[0]);
  if (p == NULL) return NULL;
  return int_result(env, p->in_flight);
}
