/*
 * A timed sender: a thread of its own waits for absolute CLOCK_MONOTONIC deadlines (timerfd) and sends
 * the datagrams JS handed it beforehand, at once, whatever the JS thread is doing (a garbage collection,
 * another callback, a slice of CPU it is waiting for). Then it wakes JS (uv_async) so the caller's
 * bookkeeping runs there, a little later, with the time the datagrams actually left.
 *
 * Protocol-agnostic: bytes, a descriptor and a destination per datagram. Plans live in numbered slots
 * (one per periodic sender, say); a slot sends its datagrams at its deadline, then again `period` after
 * each send (rounded up to the microsecond), `rounds` times in all, unless JS re-arms or disarms it first.
 * A bounded number of rounds means a JS thread that stopped answering stops the sends soon after.
 * Every send is recorded for JS to take (slot, plan id, deadline, time sent, first errno).
 *
 * Lifetime: the thread is joined before the async handle is closed (so uv_async_send never races with
 * uv_close); the JS side is released by whoever closes while napi still works (timedSenderClose, the
 * finalizer, or the environment teardown hook); memory is freed once libuv and the GC both let go.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "addon.h"

#define MAX_SLOTS 4096 /* one per periodic sender: keepalived configurations run to a few thousand */
#define MAX_DATAGRAMS 16 /* per slot */
#define MAX_DATAGRAM_BYTES 2048
#define MAX_RECORDS 4096

typedef struct {
  int fd;
  uint8_t *data;
  size_t len;
  struct sockaddr_storage to;
  socklen_t to_len;
  int has_pktinfo;
  union {
    struct in_pktinfo v4;
    struct in6_pktinfo v6;
  } pktinfo;
} datagram_t;

typedef struct {
  int armed;
  int loaded; /* has the datagrams of its last plan (kept after its rounds ran out, for a renewal) */
  uint32_t plan_id;
  uint64_t deadline_ns, period_ns;
  uint32_t rounds_left;
  uint32_t untaken; /* sends recorded and not yet taken by JS */
  datagram_t *dgrams; /* n of them, malloc'd per plan: an unused slot costs a few words */
  size_t n;
} slot_t;

typedef struct {
  uint32_t slot, plan_id;
  uint64_t deadline_ns, sent_at_ns;
  int error; /* first errno among the slot's datagrams, 0 when all were sent */
} record_t;

typedef struct {
  uv_async_t async;
  pthread_t thread;
  int thread_started;
  int has_nice, nice; /* the thread's niceness, if asked and lower than inherited */
  int rt_priority;    /* > 0: the thread runs SCHED_FIFO at this priority unless it inherited realtime */
  int rt_error;       /* errno of that attempt (0: applied or not asked) */
  int timerfd, wakefd;
  napi_env env;
  napi_ref callback;
  napi_async_context async_context;
  napi_async_cleanup_hook_handle hook;
  int closing, closed, finalized, js_released, in_callback;
  int referenced; /* the async handle keeps node alive while some slot is armed */

  /* Shared with the thread, under `lock`. */
  pthread_mutex_t lock;
  int quit;
  uint32_t top;       /* every slot ever armed is below it: scans stop there */
  uint64_t timer_at;  /* the earliest armed deadline (0: none), which the timerfd is set to */
  slot_t slots[MAX_SLOTS];
  record_t records[MAX_RECORDS];
  size_t nrecords;
} sender_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void slot_clear(slot_t *slot) {
  for (size_t i = 0; i < slot->n; i++) free(slot->dgrams[i].data);
  free(slot->dgrams);
  slot->dgrams = NULL;
  slot->n = 0;
  slot->armed = 0;
  slot->loaded = 0;
}

/* Under the lock: the timerfd follows the earliest armed deadline (set only when that changes). */
static void timer_follow(sender_t *s) {
  uint64_t earliest = 0;
  for (size_t i = 0; i < s->top; i++)
    if (s->slots[i].armed && (earliest == 0 || s->slots[i].deadline_ns < earliest)) earliest = s->slots[i].deadline_ns;
  if (earliest == s->timer_at) return;
  s->timer_at = earliest;
  struct itimerspec spec;
  memset(&spec, 0, sizeof(spec));
  spec.it_value.tv_sec = (time_t)(earliest / 1000000000ull);
  spec.it_value.tv_nsec = (long)(earliest % 1000000000ull);
  (void)timerfd_settime(s->timerfd, TFD_TIMER_ABSTIME, &spec, NULL);
}

/* Under the lock, after one slot went from `before` to `after` (deadlines, 0: not armed): a full scan only
 * when the earliest deadline may have moved (JS re-arms one slot per advert). */
static void timer_follow_change(sender_t *s, uint64_t before, uint64_t after) {
  if (s->timer_at != 0 && before != s->timer_at && (after == 0 || after >= s->timer_at)) return;
  timer_follow(s);
}

static uint64_t earliest_deadline(const sender_t *s) {
  return s->timer_at;
}

static int send_one(const datagram_t *d) {
  struct iovec iov = {.iov_base = d->data, .iov_len = d->len};
  union {
    char space[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_name = (void *)&d->to;
  msg.msg_namelen = d->to_len;
  if (d->has_pktinfo) {
    int v4 = d->to.ss_family == AF_INET;
    size_t size = v4 ? sizeof(struct in_pktinfo) : sizeof(struct in6_pktinfo);
    memset(&control, 0, sizeof(control));
    msg.msg_control = control.space;
    msg.msg_controllen = CMSG_SPACE(size);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
    cm->cmsg_type = v4 ? IP_PKTINFO : IPV6_PKTINFO;
    cm->cmsg_len = CMSG_LEN(size);
    memcpy(CMSG_DATA(cm), &d->pktinfo, size);
  }
  return sendmsg(d->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? errno : 0;
}

/* During a burst, after this many sends the clock is read again and due fast slots go first. */
#define BURST_CHECK_EVERY 16
#define FAST_PERIOD_NS 100000000ull

/* Under the lock: sends a due slot's datagrams, records the send, moves or ends its plan; 1 if recorded. */
static int send_slot(sender_t *s, uint32_t i, uint64_t now) {
  slot_t *slot = &s->slots[i];
  if (s->nrecords == MAX_RECORDS) { /* JS has not taken anything for very long: stop, do not queue */
    slot->armed = 0;
    return 0;
  }
  int error = 0;
  for (size_t k = 0; k < slot->n; k++) {
    int e = send_one(&slot->dgrams[k]);
    if (e != 0 && error == 0) error = e;
  }
  record_t *r = &s->records[s->nrecords++];
  r->slot = i;
  r->plan_id = slot->plan_id;
  r->deadline_ns = slot->deadline_ns;
  r->sent_at_ns = now;
  r->error = error;
  slot->untaken++;
  if (--slot->rounds_left == 0 || slot->period_ns == 0) {
    slot->armed = 0; /* the datagrams stay for a renewal */
  } else {
    uint64_t next = now + slot->period_ns;
    slot->deadline_ns = (next + 999) / 1000 * 1000; /* a caller counting in microseconds is not early */
  }
  return 1;
}

static void *sender_thread(void *arg) {
  sender_t *s = (sender_t *)arg;
  pthread_setname_np(pthread_self(), "kts-timed-send");
  /* The thread needs microseconds per wake-up: a realtime policy (or a high weight) costs the rest of the
   * host nothing and gets it a CPU promptly on a busy machine, also against other CFS groups (autogroup,
   * cgroups), where niceness alone does not reach. Best effort; children must not inherit it. */
  struct sched_param current;
  int policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
  int realtime = (policy == SCHED_FIFO || policy == SCHED_RR) && sched_getparam(0, &current) == 0;
  if (s->rt_priority > 0 && (!realtime || current.sched_priority < s->rt_priority)) {
    struct sched_param param = {.sched_priority = s->rt_priority};
    s->rt_error = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) < 0 ? errno : 0;
  }
  if (s->has_nice) {
    errno = 0;
    int current = getpriority(PRIO_PROCESS, (id_t)gettid());
    if (errno == 0 && s->nice < current) (void)setpriority(PRIO_PROCESS, (id_t)gettid(), s->nice);
  }
  struct pollfd fds[2] = {{.fd = s->timerfd, .events = POLLIN}, {.fd = s->wakefd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    uint64_t count;
    if (fds[1].revents & POLLIN) (void)!read(s->wakefd, &count, sizeof(count));
    if (fds[0].revents & POLLIN) (void)!read(s->timerfd, &count, sizeof(count));
    int notify = 0;
    pthread_mutex_lock(&s->lock);
    if (s->quit) {
      pthread_mutex_unlock(&s->lock);
      break;
    }
    /* Trust the clock, not the expiry: JS may have moved deadlines since it was signalled. */
    uint64_t now = now_ns();
    uint32_t sent = 0;
    for (uint32_t i = 0; i < s->top; i++) {
      slot_t *slot = &s->slots[i];
      if (!slot->armed || slot->deadline_ns > now) continue;
      notify |= send_slot(s, i, now);
      /* Hundreds of slow adverts due together (instances started together keep their phase) take
       * milliseconds to send: a fast one falling due meanwhile goes next, not after them all. */
      if (++sent % BURST_CHECK_EVERY == 0) {
        now = now_ns();
        for (uint32_t k = 0; k < s->top; k++) {
          slot_t *fast = &s->slots[k];
          if (fast->armed && fast->period_ns != 0 && fast->period_ns <= FAST_PERIOD_NS && fast->deadline_ns <= now)
            notify |= send_slot(s, k, now);
        }
      }
    }
    timer_follow(s);
    pthread_mutex_unlock(&s->lock);
    if (notify) uv_async_send(&s->async);
  }
  return NULL;
}

/* ------------------------------------------------------------------ lifetime */

static void sender_release_js(sender_t *s) {
  if (s->js_released) return;
  s->js_released = 1;
  napi_delete_reference(s->env, s->callback);
  napi_async_destroy(s->env, s->async_context);
}

static void sender_free(sender_t *s) {
  for (size_t i = 0; i < s->top; i++) slot_clear(&s->slots[i]);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

static void sender_on_close(uv_handle_t *handle) {
  sender_t *s = (sender_t *)handle->data;
  s->closed = 1;
  if (s->hook != NULL) napi_remove_async_cleanup_hook(s->hook);
  s->hook = NULL;
  if (s->finalized) sender_free(s);
}

/* Idempotent: stops and joins the thread, closes the descriptors and the async handle. */
static void sender_close(sender_t *s) {
  if (s->closing) return;
  s->closing = 1;
  if (s->thread_started) {
    uint64_t one = 1;
    pthread_mutex_lock(&s->lock);
    s->quit = 1;
    pthread_mutex_unlock(&s->lock);
    (void)!write(s->wakefd, &one, sizeof(one));
    pthread_join(s->thread, NULL);
  }
  close(s->timerfd);
  close(s->wakefd);
  uv_close((uv_handle_t *)&s->async, sender_on_close);
  if (!s->in_callback) sender_release_js(s);
}

static void sender_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sender_t *s = (sender_t *)data;
  s->finalized = 1;
  if (s->closed)
    sender_free(s);
  else
    sender_close(s);
}

static void sender_on_teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  (void)hook;
  sender_close((sender_t *)arg);
}

/* On the JS thread, after the thread sent a plan: call onFired(); JS takes the result. */
static void sender_on_async(uv_async_t *handle) {
  sender_t *s = (sender_t *)handle->data;
  napi_handle_scope scope;
  napi_value callback, recv, result;
  if (s->closing) return;
  napi_open_handle_scope(s->env, &scope);
  napi_get_reference_value(s->env, s->callback, &callback);
  napi_get_global(s->env, &recv);
  s->in_callback = 1;
  napi_status rc = napi_make_callback(s->env, s->async_context, recv, callback, 0, NULL, &result);
  s->in_callback = 0;
  if (rc == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(s->env, &error);
    napi_fatal_exception(s->env, error);
  }
  napi_close_handle_scope(s->env, scope);
  if (s->closing) sender_release_js(s);
}

/* ------------------------------------------------------------------ JS entry points */

static sender_t *arg_sender(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    throw_type(env, "expected a timed sender handle");
    return NULL;
  }
  sender_t *s = (sender_t *)data;
  if (s->closing) {
    throw_errno(env, "timedSender", EBADF);
    return NULL;
  }
  return s;
}

/* timedSenderCreate(onFired, nice?, rtPriority?): a sender whose thread is waiting for its first plan; with
 * `nice`, the thread lowers its niceness to it (never raises it above what it inherited); with rtPriority
 * (1..99) it runs SCHED_FIFO at that priority, unless it inherited a realtime one at least as high. */
napi_value js_timed_sender_create(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t nice = 0, rt_priority = 0;
  int has_nice = !is_nullish(env, argv[1]);
  if (has_nice && !arg_int(env, argv[1], &nice)) return NULL;
  if (!is_nullish(env, argv[2]) && !arg_int(env, argv[2], &rt_priority)) return NULL;
  if (rt_priority < 0 || rt_priority > 99) return throw_type(env, "rtPriority is 0..99");
  napi_valuetype t;
  napi_value external, name;
  uv_loop_t *loop;
  napi_typeof(env, argv[0], &t);
  if (t != napi_function) return throw_type(env, "expected a callback");
  sender_t *s = (sender_t *)calloc(1, sizeof(*s)); /* ~ 350 kB with slots and records: one per daemon */
  if (s == NULL) return throw_errno(env, "calloc", ENOMEM);
  /* Priority inheritance: the JS thread (ordinary scheduling) holds the lock for a moment to arm or take;
   * preempted right then, it would keep the realtime thread waiting behind every busy process. */
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&s->lock, &attr);
  pthread_mutexattr_destroy(&attr);
  s->has_nice = has_nice;
  s->nice = nice;
  s->rt_priority = rt_priority;
  s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int err = s->timerfd < 0 || s->wakefd < 0 ? errno : 0;
  napi_get_uv_event_loop(env, &loop);
  if (!err) err = -uv_async_init(loop, &s->async, sender_on_async);
  if (err) {
    if (s->timerfd >= 0) close(s->timerfd);
    if (s->wakefd >= 0) close(s->wakefd);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return throw_errno(env, "timedSenderCreate", err);
  }
  s->async.data = s;
  uv_unref((uv_handle_t *)&s->async); /* an armed plan refs it: an idle sender never keeps node alive */
  s->env = env;
  napi_create_reference(env, argv[0], 1, &s->callback);
  napi_create_string_utf8(env, "keepalived-ts:timed-sender", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &s->async_context);
  /* The thread inherits the calling thread's scheduling policy (vrrp_rt_priority applies to it too). */
  err = pthread_create(&s->thread, NULL, sender_thread, s);
  s->thread_started = err == 0;
  if (err || napi_add_async_cleanup_hook(env, sender_on_teardown, s, &s->hook) != napi_ok) {
    s->finalized = 1; /* no JS object owns it: freed by the close callback */
    sender_close(s);
    return throw_errno(env, "pthread_create", err ? err : EINVAL);
  }
  napi_create_external(env, s, sender_finalize, NULL, &external);
  return external;
}

/* One { fd, data, to: { family: 'inet'|'inet6', address, port?, scopeId? }, ifindex?, source? } into `d`. */
static int read_datagram(napi_env env, napi_value obj, datagram_t *d) {
  napi_value v;
  void *bytes;
  size_t len;
  char family[8] = "", address[INET6_ADDRSTRLEN] = "", source[INET6_ADDRSTRLEN] = "";
  memset(d, 0, sizeof(*d));
  d->fd = (int)prop_u32(env, obj, "fd", UINT32_MAX);
  if (d->fd < 0) return throw_type(env, "a datagram needs an fd"), 0;
  if (napi_get_named_property(env, obj, "data", &v) != napi_ok || !arg_bytes(env, v, &bytes, &len)) return 0;
  if (len == 0 || len > MAX_DATAGRAM_BYTES) return throw_type(env, "datagram size out of range"), 0;
  if (napi_get_named_property(env, obj, "to", &v) != napi_ok || !prop_string(env, v, "family", family, sizeof(family)) ||
      !prop_string(env, v, "address", address, sizeof(address)))
    return throw_type(env, "a datagram needs a destination { family, address }"), 0;
  int has_source = prop_string(env, obj, "source", source, sizeof(source));
  uint32_t ifindex = prop_u32(env, obj, "ifindex", 0);
  d->has_pktinfo = has_source || ifindex != 0;
  if (strcmp(family, "inet") == 0) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&d->to;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)prop_u32(env, v, "port", 0));
    if (inet_pton(AF_INET, address, &sin->sin_addr) != 1) return throw_type(env, "invalid IPv4 destination"), 0;
    d->to_len = sizeof(*sin);
    d->pktinfo.v4.ipi_ifindex = (int)ifindex;
    if (has_source && inet_pton(AF_INET, source, &d->pktinfo.v4.ipi_spec_dst) != 1)
      return throw_type(env, "invalid source"), 0;
  } else if (strcmp(family, "inet6") == 0) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d->to;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)prop_u32(env, v, "port", 0));
    if (inet_pton(AF_INET6, address, &sin6->sin6_addr) != 1) return throw_type(env, "invalid IPv6 destination"), 0;
    sin6->sin6_scope_id = prop_u32(env, v, "scopeId", 0);
    d->to_len = sizeof(*sin6);
    d->pktinfo.v6.ipi6_ifindex = ifindex;
    if (has_source && inet_pton(AF_INET6, source, &d->pktinfo.v6.ipi6_addr) != 1)
      return throw_type(env, "invalid source"), 0;
  } else {
    return throw_type(env, "a timed datagram goes to an inet or inet6 address"), 0;
  }
  d->data = (uint8_t *)malloc(len);
  if (d->data == NULL) return throw_errno(env, "malloc", ENOMEM), 0;
  memcpy(d->data, bytes, len);
  d->len = len;
  return 1;
}

/* The async handle keeps node alive while anything is armed or waiting to be taken. */
static void sender_update_ref(sender_t *s, int busy) {
  if (busy && !s->referenced) uv_ref((uv_handle_t *)&s->async);
  if (!busy && s->referenced) uv_unref((uv_handle_t *)&s->async);
  s->referenced = busy;
}

static int busy_locked(const sender_t *s) {
  return s->nrecords > 0 || earliest_deadline(s) != 0;
}

static int arg_u64(napi_env env, napi_value v, uint64_t *out) {
  bool lossless;
  if (napi_get_value_bigint_uint64(env, v, out, &lossless) != napi_ok || !lossless) {
    throw_type(env, "expected a non-negative bigint");
    return 0;
  }
  return 1;
}

/* timedSenderArm(sender, slot, planId, deadlineNs, periodNs, rounds, datagrams): replaces the slot's plan.
 * Returns false, changing nothing, when the slot sent since JS last took the records: JS's view of the
 * slot is stale, take() first. datagrams null: a renewal, the slot keeps those of its last plan (which it
 * has unless disarmed since: a TypeError otherwise); a periodic sender re-arms once per send. */
napi_value js_timed_sender_arm(napi_env env, napi_callback_info info) {
  ARGS(7);
  sender_t *s = arg_sender(env, argv[0]);
  int32_t slot_no, plan_id, rounds;
  uint64_t deadline, period;
  bool is_array = false;
  uint32_t count = 0;
  datagram_t dgrams[MAX_DATAGRAMS];
  napi_value result;
  if (s == NULL || !arg_int(env, argv[1], &slot_no) || !arg_int(env, argv[2], &plan_id) ||
      !arg_u64(env, argv[3], &deadline) || !arg_u64(env, argv[4], &period) || !arg_int(env, argv[5], &rounds))
    return NULL;
  if (slot_no < 0 || slot_no >= MAX_SLOTS) return throw_type(env, "slot out of range");
  if (deadline == 0 || rounds < 1) return throw_type(env, "expected a positive deadline and rounds");
  int renew = is_nullish(env, argv[6]);
  if (!renew) napi_is_array(env, argv[6], &is_array);
  if (!renew && !is_array) return throw_type(env, "expected an array of datagrams");
  if (!renew) napi_get_array_length(env, argv[6], &count);
  if (count > MAX_DATAGRAMS) return throw_type(env, "too many datagrams in one slot");
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, argv[6], i, &item);
    if (!read_datagram(env, item, &dgrams[i])) {
      for (uint32_t k = 0; k < i; k++) free(dgrams[k].data);
      return NULL;
    }
  }
  pthread_mutex_lock(&s->lock);
  slot_t *slot = &s->slots[slot_no];
  int stale = slot->untaken > 0;
  if (renew && !stale && !slot->loaded) {
    pthread_mutex_unlock(&s->lock);
    return throw_type(env, "no datagrams to keep: the slot was disarmed");
  }
  datagram_t *kept = NULL;
  if (!renew && !stale && count > 0 && (kept = (datagram_t *)malloc(sizeof(dgrams[0]) * count)) == NULL) {
    pthread_mutex_unlock(&s->lock);
    for (uint32_t k = 0; k < count; k++) free(dgrams[k].data);
    return throw_errno(env, "malloc", ENOMEM);
  }
  if (!stale) {
    uint64_t before = slot->armed ? slot->deadline_ns : 0;
    if (!renew) {
      slot_clear(slot);
      if (count > 0) memcpy(kept, dgrams, sizeof(dgrams[0]) * count);
      slot->dgrams = kept;
      slot->n = count;
      slot->loaded = 1;
    }
    slot->plan_id = (uint32_t)plan_id;
    slot->deadline_ns = deadline;
    slot->period_ns = period;
    slot->rounds_left = (uint32_t)rounds;
    slot->armed = 1;
    if ((uint32_t)slot_no >= s->top) s->top = (uint32_t)slot_no + 1;
    timer_follow_change(s, before, deadline);
  }
  int busy = busy_locked(s);
  pthread_mutex_unlock(&s->lock);
  if (stale)
    for (uint32_t k = 0; k < count; k++) free(dgrams[k].data);
  sender_update_ref(s, busy);
  napi_get_boolean(env, !stale, &result);
  return result;
}

/* timedSenderDisarm(sender, slot): drops what the slot has not sent yet. */
napi_value js_timed_sender_disarm(napi_env env, napi_callback_info info) {
  ARGS(2);
  sender_t *s = arg_sender(env, argv[0]);
  int32_t slot_no;
  if (s == NULL || !arg_int(env, argv[1], &slot_no)) return NULL;
  if (slot_no < 0 || slot_no >= MAX_SLOTS) return throw_type(env, "slot out of range");
  pthread_mutex_lock(&s->lock);
  slot_t *slot = &s->slots[slot_no];
  uint64_t before = slot->armed ? slot->deadline_ns : 0;
  slot_clear(slot);
  timer_follow_change(s, before, 0);
  int busy = busy_locked(s);
  pthread_mutex_unlock(&s->lock);
  sender_update_ref(s, busy);
  return NULL;
}

/* timedSenderTake(sender): { records, nextDeadlineNs } where records are the sends since the last take, in
 * the order they happened, as [slot, planId, deadlineNs, sentAtNs, errno], and nextDeadlineNs the earliest
 * deadline still armed (null: none), read at the same instant. */
napi_value js_timed_sender_take(napi_env env, napi_callback_info info) {
  ARGS(1);
  sender_t *s = arg_sender(env, argv[0]);
  napi_value result, list, entry, v;
  if (s == NULL) return NULL;
  record_t few[8];
  record_t *taken = few;
  pthread_mutex_lock(&s->lock);
  size_t n = s->nrecords;
  if (n > 8) taken = (record_t *)malloc(sizeof(record_t) * n);
  if (taken == NULL) {
    pthread_mutex_unlock(&s->lock);
    return throw_errno(env, "malloc", ENOMEM);
  }
  memcpy(taken, s->records, sizeof(taken[0]) * n);
  s->nrecords = 0;
  for (size_t i = 0; i < s->top; i++) s->slots[i].untaken = 0;
  uint64_t next = earliest_deadline(s);
  int busy = busy_locked(s);
  pthread_mutex_unlock(&s->lock);
  sender_update_ref(s, busy);
  napi_create_object(env, &result);
  napi_create_array_with_length(env, n, &list);
  for (size_t i = 0; i < n; i++) {
    napi_create_array_with_length(env, 5, &entry);
    napi_create_uint32(env, taken[i].slot, &v);
    napi_set_element(env, entry, 0, v);
    napi_create_uint32(env, taken[i].plan_id, &v);
    napi_set_element(env, entry, 1, v);
    napi_create_bigint_uint64(env, taken[i].deadline_ns, &v);
    napi_set_element(env, entry, 2, v);
    napi_create_bigint_uint64(env, taken[i].sent_at_ns, &v);
    napi_set_element(env, entry, 3, v);
    napi_create_int32(env, taken[i].error, &v);
    napi_set_element(env, entry, 4, v);
    napi_set_element(env, list, (uint32_t)i, entry);
  }
  if (taken != few) free(taken);
  napi_set_named_property(env, result, "records", list);
  if (next == 0)
    napi_get_null(env, &v);
  else
    napi_create_bigint_uint64(env, next, &v);
  napi_set_named_property(env, result, "nextDeadlineNs", v);
  return result;
}

/* timedSenderClose(sender): idempotent; an unsent plan is dropped. */
napi_value js_timed_sender_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL)
    return throw_type(env, "expected a timed sender handle");
  sender_close((sender_t *)data);
  return NULL;
}
