/*
 * keepalived-ts native addon: generic Linux sockets and a monotonic timerfd, read through libuv.
 *
 * Nothing here knows VRRP. Every descriptor is non-blocking, every read stops at EAGAIN, and
 * readiness comes from uv_poll, so no call can stall the event loop. Failures throw a JS Error
 * whose `code` is the errno name (EPERM, ENODEV, ...), like node's own system errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

/* ------------------------------------------------------------------ errors and arguments */

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  const char *name = strerrorname_np(err);
  char code[32], message[160];
  if (name == NULL) {
    snprintf(code, sizeof(code), "E%d", err);
    name = code;
  }
  snprintf(message, sizeof(message), "%s %s: %s", syscall, name, strerror(err));
  napi_value code_v, msg_v, error, errno_v, syscall_v;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code_v);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg_v);
  napi_create_error(env, code_v, msg_v, &error);
  napi_create_int32(env, -err, &errno_v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v);
  napi_set_named_property(env, error, "errno", errno_v);
  napi_set_named_property(env, error, "syscall", syscall_v);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* Reads argv[i] as an int32; false (with a pending TypeError) if it is not a number. */
static int arg_int(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    throw_type(env, "expected a number");
    return 0;
  }
  return 1;
}

static int arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_buffer = false;
  napi_is_buffer(env, v, &is_buffer);
  if (!is_buffer || napi_get_buffer_info(env, v, data, len) != napi_ok) {
    throw_type(env, "expected a Buffer or Uint8Array");
    return 0;
  }
  return 1;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_undefined || t == napi_null;
}

/* Optional numeric property of an object, `fallback` when absent. */
static uint32_t prop_u32(napi_env env, napi_value obj, const char *name, uint32_t fallback) {
  napi_value v;
  uint32_t out;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || is_nullish(env, v)) return fallback;
  return napi_get_value_uint32(env, v, &out) == napi_ok ? out : fallback;
}

static int prop_string(napi_env env, napi_value obj, const char *name, char *buf, size_t size) {
  napi_value v;
  size_t len = 0;
  buf[0] = '\0';
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || is_nullish(env, v)) return 0;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok && len > 0;
}

static void set_u32(napi_env env, napi_value obj, const char *name, uint32_t value) {
  napi_value v;
  napi_create_uint32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

static void set_str(napi_env env, napi_value obj, const char *name, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, name, v);
}

/* ------------------------------------------------------------------ socket addresses */

/*
 * Addresses cross the boundary as plain objects, discriminated by `family`:
 *   { family: 'inet',    address: '224.0.0.18', port? }
 *   { family: 'inet6',   address: 'ff02::12', port?, scopeId? }
 *   { family: 'packet',  ifindex, protocol? (ethertype, host order), hatype?, pkttype?, addr?: Buffer }
 *   { family: 'netlink', pid?, groups? }
 * The struct layouts stay in C, where the system headers define them.
 */
static int to_sockaddr(napi_env env, napi_value obj, struct sockaddr_storage *ss, socklen_t *len) {
  char family[16], address[INET6_ADDRSTRLEN];
  napi_valuetype t;
  memset(ss, 0, sizeof(*ss));
  napi_typeof(env, obj, &t);
  if (t != napi_object || !prop_string(env, obj, "family", family, sizeof(family))) {
    throw_type(env, "expected a socket address object with a family");
    return 0;
  }
  if (strcmp(family, "inet") == 0) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)prop_u32(env, obj, "port", 0));
    if (prop_string(env, obj, "address", address, sizeof(address)) &&
        inet_pton(AF_INET, address, &sin->sin_addr) != 1) {
      throw_type(env, "invalid IPv4 address");
      return 0;
    }
    *len = sizeof(*sin);
  } else if (strcmp(family, "inet6") == 0) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)prop_u32(env, obj, "port", 0));
    sin6->sin6_scope_id = prop_u32(env, obj, "scopeId", 0);
    if (prop_string(env, obj, "address", address, sizeof(address)) &&
        inet_pton(AF_INET6, address, &sin6->sin6_addr) != 1) {
      throw_type(env, "invalid IPv6 address");
      return 0;
    }
    *len = sizeof(*sin6);
  } else if (strcmp(family, "packet") == 0) {
    struct sockaddr_ll *sll = (struct sockaddr_ll *)ss;
    napi_value hw;
    sll->sll_family = AF_PACKET;
    sll->sll_protocol = htons((uint16_t)prop_u32(env, obj, "protocol", 0));
    sll->sll_ifindex = (int)prop_u32(env, obj, "ifindex", 0);
    sll->sll_hatype = (uint16_t)prop_u32(env, obj, "hatype", 0);
    sll->sll_pkttype = (uint8_t)prop_u32(env, obj, "pkttype", 0);
    if (napi_get_named_property(env, obj, "addr", &hw) == napi_ok && !is_nullish(env, hw)) {
      void *data;
      size_t n;
      if (!arg_bytes(env, hw, &data, &n)) return 0;
      if (n > sizeof(sll->sll_addr)) n = sizeof(sll->sll_addr);
      memcpy(sll->sll_addr, data, n);
      sll->sll_halen = (uint8_t)n;
    }
    *len = sizeof(*sll);
  } else if (strcmp(family, "netlink") == 0) {
    struct sockaddr_nl *snl = (struct sockaddr_nl *)ss;
    snl->nl_family = AF_NETLINK;
    snl->nl_pid = prop_u32(env, obj, "pid", 0);
    snl->nl_groups = prop_u32(env, obj, "groups", 0);
    *len = sizeof(*snl);
  } else {
    throw_type(env, "unknown address family (inet, inet6, packet, netlink)");
    return 0;
  }
  return 1;
}

static napi_value from_sockaddr(napi_env env, const struct sockaddr_storage *ss, socklen_t len) {
  napi_value obj, null_v;
  char text[INET6_ADDRSTRLEN];
  if (len == 0) {
    napi_get_null(env, &null_v);
    return null_v;
  }
  napi_create_object(env, &obj);
  switch (ss->ss_family) {
  case AF_INET: {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    set_str(env, obj, "family", "inet");
    set_str(env, obj, "address", text);
    set_u32(env, obj, "port", ntohs(sin->sin_port));
    break;
  }
  case AF_INET6: {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
    set_str(env, obj, "family", "inet6");
    set_str(env, obj, "address", text);
    set_u32(env, obj, "port", ntohs(sin6->sin6_port));
    set_u32(env, obj, "scopeId", sin6->sin6_scope_id);
    break;
  }
  case AF_PACKET: {
    const struct sockaddr_ll *sll = (const struct sockaddr_ll *)ss;
    napi_value hw;
    void *copy;
    size_t halen = sll->sll_halen > sizeof(sll->sll_addr) ? sizeof(sll->sll_addr) : sll->sll_halen;
    set_str(env, obj, "family", "packet");
    set_u32(env, obj, "ifindex", (uint32_t)sll->sll_ifindex);
    set_u32(env, obj, "protocol", ntohs(sll->sll_protocol));
    set_u32(env, obj, "hatype", sll->sll_hatype);
    set_u32(env, obj, "pkttype", sll->sll_pkttype);
    napi_create_buffer_copy(env, halen, sll->sll_addr, &copy, &hw);
    napi_set_named_property(env, obj, "addr", hw);
    break;
  }
  case AF_NETLINK: {
    const struct sockaddr_nl *snl = (const struct sockaddr_nl *)ss;
    set_str(env, obj, "family", "netlink");
    set_u32(env, obj, "pid", snl->nl_pid);
    set_u32(env, obj, "groups", snl->nl_groups);
    break;
  }
  default:
    set_u32(env, obj, "family", ss->ss_family);
  }
  return obj;
}

/* ------------------------------------------------------------------ sockets */

#define ARGS(n)                                                                                  \
  size_t argc = n;                                                                               \
  napi_value argv[n];                                                                            \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);                                          \
  for (size_t i_ = argc; i_ < n; i_++) napi_get_undefined(env, &argv[i_])

static napi_value int_result(napi_env env, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  return v;
}

/* socket(domain, type, protocol): always non-blocking and close-on-exec. For AF_PACKET the
 * protocol is an ethertype in host order; the kernel wants it in network order. */
static napi_value js_socket(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t domain, type, protocol;
  if (!arg_int(env, argv[0], &domain) || !arg_int(env, argv[1], &type) || !arg_int(env, argv[2], &protocol))
    return NULL;
  if (domain == AF_PACKET) protocol = htons((uint16_t)protocol);
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return int_result(env, fd);
}

static napi_value js_bind(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!arg_int(env, argv[0], &fd) || !to_sockaddr(env, argv[1], &ss, &len)) return NULL;
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) return throw_errno(env, "bind", errno);
  return NULL;
}

static napi_value js_getsockname(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (!arg_int(env, argv[0], &fd)) return NULL;
  memset(&ss, 0, sizeof(ss));
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return throw_errno(env, "getsockname", errno);
  return from_sockaddr(env, &ss, len);
}

/* setsockopt(fd, level, name, value): a number is passed as a C int, a string as a NUL-terminated
 * name (SO_BINDTODEVICE), a Buffer as the raw option struct (ip_mreqn, ipv6_mreq, ...). */
static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name, number;
  napi_valuetype t;
  char text[IF_NAMESIZE + 1];
  const void *value;
  socklen_t len;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &level) || !arg_int(env, argv[2], &name))
    return NULL;
  napi_typeof(env, argv[3], &t);
  if (t == napi_number) {
    napi_get_value_int32(env, argv[3], &number);
    value = &number;
    len = sizeof(number);
  } else if (t == napi_string) {
    size_t n = 0;
    napi_get_value_string_utf8(env, argv[3], text, sizeof(text), &n);
    value = text;
    len = (socklen_t)n + 1;
  } else {
    void *data;
    size_t n;
    if (!arg_bytes(env, argv[3], &data, &n)) return NULL;
    value = data;
    len = (socklen_t)n;
  }
  if (setsockopt(fd, level, name, value, len) < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

static napi_value js_getsockopt_int(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, level, name;
  int value = 0;
  socklen_t len = sizeof(value);
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &level) || !arg_int(env, argv[2], &name))
    return NULL;
  if (getsockopt(fd, level, name, &value, &len) < 0) return throw_errno(env, "getsockopt", errno);
  return int_result(env, value);
}

/* Control-message space for one pktinfo plus one hop limit / TTL, suitably aligned. */
typedef union {
  struct cmsghdr align;
  char space[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) +
             2 * CMSG_SPACE(sizeof(int))];
} control_buf;

/* sendto(fd, data, to?, pktinfo?): pktinfo { ifindex, source? } adds IPV6_PKTINFO (inet6 `to`)
 * or IP_PKTINFO (inet `to`) so the caller picks the outgoing interface and source address. */
static napi_value js_sendto(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd;
  void *data;
  size_t len;
  struct sockaddr_storage ss;
  socklen_t ss_len = 0;
  control_buf control;
  struct iovec iov;
  struct msghdr msg;
  if (!arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &data, &len)) return NULL;
  if (!is_nullish(env, argv[2]) && !to_sockaddr(env, argv[2], &ss, &ss_len)) return NULL;
  memset(&msg, 0, sizeof(msg));
  memset(&control, 0, sizeof(control));
  iov.iov_base = data;
  iov.iov_len = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_name = ss_len ? &ss : NULL;
  msg.msg_namelen = ss_len;
  if (!is_nullish(env, argv[3])) {
    char source[INET6_ADDRSTRLEN];
    int has_source = prop_string(env, argv[3], "source", source, sizeof(source));
    uint32_t ifindex = prop_u32(env, argv[3], "ifindex", 0);
    struct cmsghdr *cm;
    msg.msg_control = control.space;
    if (ss_len && ss.ss_family == AF_INET) {
      struct in_pktinfo pi;
      memset(&pi, 0, sizeof(pi));
      pi.ipi_ifindex = (int)ifindex;
      if (has_source && inet_pton(AF_INET, source, &pi.ipi_spec_dst) != 1) return throw_type(env, "invalid source");
      msg.msg_controllen = CMSG_SPACE(sizeof(pi));
      cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = IPPROTO_IP;
      cm->cmsg_type = IP_PKTINFO;
      cm->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
    } else {
      struct in6_pktinfo pi;
      memset(&pi, 0, sizeof(pi));
      pi.ipi6_ifindex = ifindex;
      if (has_source && inet_pton(AF_INET6, source, &pi.ipi6_addr) != 1) return throw_type(env, "invalid source");
      msg.msg_controllen = CMSG_SPACE(sizeof(pi));
      cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = IPPROTO_IPV6;
      cm->cmsg_type = IPV6_PKTINFO;
      cm->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
    }
  }
  ssize_t sent = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0) return throw_errno(env, "sendmsg", errno);
  return int_result(env, sent);
}

/* recvmsg(fd, buf): reads one datagram into `buf` without blocking. Returns null when nothing is
 * queued (EAGAIN), else { length, truncated, from, ifindex?, dst?, hopLimit?, ttl? }; the
 * optional fields come from ancillary data the caller enabled (IPV6_RECVPKTINFO, IP_PKTINFO,
 * IPV6_RECVHOPLIMIT, IP_RECVTTL), or from sockaddr_ll for packet sockets. */
static napi_value js_recvmsg(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  void *data;
  size_t cap;
  struct sockaddr_storage ss;
  control_buf control;
  struct iovec iov;
  struct msghdr msg;
  char text[INET6_ADDRSTRLEN];
  napi_value result, null_v, flag;
  if (!arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &data, &cap)) return NULL;
  memset(&msg, 0, sizeof(msg));
  memset(&ss, 0, sizeof(ss));
  iov.iov_base = data;
  iov.iov_len = cap;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_name = &ss;
  msg.msg_namelen = sizeof(ss);
  msg.msg_control = control.space;
  msg.msg_controllen = sizeof(control.space);
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      napi_get_null(env, &null_v);
      return null_v;
    }
    return throw_errno(env, "recvmsg", errno);
  }
  napi_create_object(env, &result);
  /* MSG_TRUNC makes n the real datagram size, possibly larger than the buffer. */
  set_u32(env, result, "length", (uint32_t)((size_t)n > cap ? cap : (size_t)n));
  napi_get_boolean(env, (size_t)n > cap || (msg.msg_flags & MSG_TRUNC), &flag);
  napi_set_named_property(env, result, "truncated", flag);
  napi_set_named_property(env, result, "from", from_sockaddr(env, &ss, msg.msg_namelen));
  if (msg.msg_namelen && ss.ss_family == AF_PACKET)
    set_u32(env, result, "ifindex", (uint32_t)((struct sockaddr_ll *)&ss)->sll_ifindex);
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
      set_u32(env, result, "ifindex", pi.ipi6_ifindex);
      set_str(env, result, "dst", inet_ntop(AF_INET6, &pi.ipi6_addr, text, sizeof(text)));
    } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT) {
      int hops;
      memcpy(&hops, CMSG_DATA(cm), sizeof(hops));
      set_u32(env, result, "hopLimit", (uint32_t)hops);
    } else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
      set_u32(env, result, "ifindex", (uint32_t)pi.ipi_ifindex);
      set_str(env, result, "dst", inet_ntop(AF_INET, &pi.ipi_addr, text, sizeof(text)));
    } else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) {
      int ttl;
      memcpy(&ttl, CMSG_DATA(cm), sizeof(ttl));
      set_u32(env, result, "ttl", (uint32_t)ttl);
    }
  }
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return NULL;
}

static napi_value js_if_name_to_index(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[IF_NAMESIZE + 1];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &n) != napi_ok)
    return throw_type(env, "expected an interface name");
  unsigned int index = n < IF_NAMESIZE ? if_nametoindex(name) : 0;
  if (index == 0) return throw_errno(env, "if_nametoindex", n < IF_NAMESIZE ? errno : ENAMETOOLONG);
  return int_result(env, index);
}

static napi_value js_if_index_to_name(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t index;
  char name[IF_NAMESIZE];
  napi_value v;
  if (!arg_int(env, argv[0], &index)) return NULL;
  if (if_indextoname((unsigned int)index, name) == NULL) return throw_errno(env, "if_indextoname", errno);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  return v;
}

/* ------------------------------------------------------------------ readiness through libuv */

/*
 * A poll is owned twice: by libuv until its close callback ran, and by the JS external that
 * pollStart returns until the GC finalizes it. It is freed when both have let go.
 */
typedef struct {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context async_context;
  int closing, closed, finalized;
} poll_state;

static void poll_on_close(uv_handle_t *handle) {
  poll_state *p = (poll_state *)handle->data;
  p->closed = 1;
  napi_delete_reference(p->env, p->callback);
  napi_async_destroy(p->env, p->async_context);
  if (p->finalized) free(p);
}

static void poll_close(poll_state *p) {
  if (p->closing) return;
  p->closing = 1;
  uv_poll_stop(&p->handle);
  uv_close((uv_handle_t *)&p->handle, poll_on_close);
}

static void poll_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  poll_state *p = (poll_state *)data;
  p->finalized = 1;
  poll_close(p);
  if (p->closed) free(p);
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
  if (napi_make_callback(env, p->async_context, recv, callback, 1, &arg, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error); /* becomes process 'uncaughtException', as for any callback */
  }
  napi_close_handle_scope(env, scope);
}

static napi_value js_poll_start(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  napi_valuetype t;
  uv_loop_t *loop;
  napi_value external, name;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) return throw_type(env, "expected a callback");
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
  p->handle.data = p;
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

/* Stops and releases the poll; call it before closing the descriptor. Idempotent. */
static napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  ARGS(1);
  poll_state *p = arg_poll(env, argv[0]);
  if (p != NULL) poll_close(p);
  return NULL;
}

/* pollRef(handle, keepAlive): whether this poll alone keeps the event loop running. */
static napi_value js_poll_ref(napi_env env, napi_callback_info info) {
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

static napi_value js_monotonic_now(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec ts;
  napi_value v;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  napi_create_bigint_uint64(env, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, &v);
  return v;
}

static napi_value js_timerfd_create(napi_env env, napi_callback_info info) {
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
static napi_value js_timerfd_arm(napi_env env, napi_callback_info info) {
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
static napi_value js_timerfd_read(napi_env env, napi_callback_info info) {
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

/* ------------------------------------------------------------------ module */

#define C(name) {#name, name}
static const struct {
  const char *name;
  int value;
} constants[] = {
    C(AF_INET), C(AF_INET6), C(AF_PACKET), C(AF_NETLINK), C(SOCK_RAW), C(SOCK_DGRAM),
    C(IPPROTO_IP), C(IPPROTO_IPV6), C(IPPROTO_ICMPV6), C(IPPROTO_RAW), C(SOL_SOCKET), C(SOL_PACKET),
    C(SOL_NETLINK), C(SO_BINDTODEVICE), C(SO_RCVBUF), C(SO_RCVBUFFORCE), C(SO_SNDBUF), C(SO_PRIORITY),
    C(SO_MARK), C(SO_REUSEADDR), C(SO_ERROR), C(IP_HDRINCL), C(IP_TTL), C(IP_RECVTTL), C(IP_PKTINFO),
    C(IP_MULTICAST_TTL), C(IP_MULTICAST_IF), C(IP_MULTICAST_LOOP), C(IP_MULTICAST_ALL),
    C(IP_ADD_MEMBERSHIP), C(IP_DROP_MEMBERSHIP), C(IPV6_JOIN_GROUP), C(IPV6_LEAVE_GROUP),
    C(IPV6_MULTICAST_HOPS), C(IPV6_MULTICAST_IF), C(IPV6_MULTICAST_LOOP), C(IPV6_UNICAST_HOPS),
    C(IPV6_RECVHOPLIMIT), C(IPV6_RECVPKTINFO), C(IPV6_CHECKSUM), C(IPV6_V6ONLY), C(NETLINK_ROUTE),
    C(NETLINK_GENERIC), C(NETLINK_ADD_MEMBERSHIP), C(NETLINK_DROP_MEMBERSHIP), C(NETLINK_EXT_ACK),
    C(NETLINK_GET_STRICT_CHK), C(NETLINK_NO_ENOBUFS), C(PACKET_ADD_MEMBERSHIP), C(PACKET_DROP_MEMBERSHIP),
    C(PACKET_MR_MULTICAST), C(PACKET_MR_PROMISC), C(ETH_P_ALL), C(ETH_P_IP), C(ETH_P_ARP), C(ETH_P_RARP),
    C(ETH_P_IPV6),
};

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default_jsproperty, NULL}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor functions[] = {
      FN("socket", js_socket),
      FN("bind", js_bind),
      FN("getsockname", js_getsockname),
      FN("setsockopt", js_setsockopt),
      FN("getsockoptInt", js_getsockopt_int),
      FN("sendto", js_sendto),
      FN("recvmsg", js_recvmsg),
      FN("close", js_close),
      FN("ifNameToIndex", js_if_name_to_index),
      FN("ifIndexToName", js_if_index_to_name),
      FN("pollStart", js_poll_start),
      FN("pollStop", js_poll_stop),
      FN("pollRef", js_poll_ref),
      FN("monotonicNow", js_monotonic_now),
      FN("timerfdCreate", js_timerfd_create),
      FN("timerfdArm", js_timerfd_arm),
      FN("timerfdRead", js_timerfd_read),
  };
  napi_value table, v;
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  napi_create_object(env, &table);
  for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
    napi_create_int32(env, constants[i].value, &v);
    napi_set_named_property(env, table, constants[i].name, v);
  }
  napi_object_freeze(env, table);
  napi_set_named_property(env, exports, "constants", table);
  return exports;
}
