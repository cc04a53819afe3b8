/*
 * Socket calls of the addon: socket, bind, options, sendmsg/recvmsg with ancillary data, and the
 * conversion between JS address objects and the kernel's sockaddr structs.
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
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "addon.h"

/* ------------------------------------------------------------------ socket addresses */

/*
 * Addresses cross the boundary as plain objects, discriminated by `family`:
 *   { family: 'inet',    address: '224.0.0.18', port? }
 *   { family: 'inet6',   address: 'ff02::12', port?, scopeId? }
 *   { family: 'packet',  ifindex, protocol? (ethertype, host order), hatype?, pkttype?, addr?: Buffer }
 *   { family: 'netlink', pid?, groups? }
 *   { family: 'unix',    path }  (a leading NUL in `path` selects the abstract namespace)
 * The struct layouts stay in C, where the system headers define them.
 */
/* sockaddr_un: a filesystem path is NUL-terminated inside sun_path; an abstract name (leading NUL)
 * is not, so its length alone tells the kernel where it ends. */
static int to_sockaddr_un(napi_env env, napi_value obj, struct sockaddr_un *sun, socklen_t *len) {
  napi_value v;
  size_t n = 0;
  char path[sizeof(sun->sun_path) + 2]; /* one spare byte reveals an over-long path */
  if (napi_get_named_property(env, obj, "path", &v) != napi_ok ||
      napi_get_value_string_utf8(env, v, path, sizeof(path), &n) != napi_ok || n == 0) {
    throw_type(env, "a unix address needs a non-empty path");
    return 0;
  }
  int abstract = path[0] == '\0';
  if (n > sizeof(sun->sun_path) - (abstract ? 0 : 1)) {
    throw_type(env, "unix socket path too long");
    return 0;
  }
  sun->sun_family = AF_UNIX;
  memcpy(sun->sun_path, path, n);
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 0 : 1));
  return 1;
}

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
  } else if (strcmp(family, "unix") == 0) {
    if (!to_sockaddr_un(env, obj, (struct sockaddr_un *)ss, len)) return 0;
  } else {
    throw_type(env, "unknown address family (inet, inet6, packet, netlink, unix)");
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
  case AF_UNIX: {
    /* An unnamed peer has no path at all; an abstract one keeps its leading NUL. */
    const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
    size_t room = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    size_t n = room == 0 ? 0 : sun->sun_path[0] == '\0' ? room : strnlen(sun->sun_path, room);
    napi_value path;
    set_str(env, obj, "family", "unix");
    napi_create_string_utf8(env, sun->sun_path, n, &path);
    napi_set_named_property(env, obj, "path", path);
    break;
  }
  default:
    set_u32(env, obj, "family", ss->ss_family);
  }
  return obj;
}


/* socket(domain, type, protocol): always non-blocking and close-on-exec. For AF_PACKET the
 * protocol is an ethertype in host order; the kernel wants it in network order. */
napi_value js_socket(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t domain, type, protocol;
  if (!arg_int(env, argv[0], &domain) || !arg_int(env, argv[1], &type) || !arg_int(env, argv[2], &protocol))
    return NULL;
  if (domain == AF_PACKET) protocol = htons((uint16_t)protocol);
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return int_result(env, fd);
}

napi_value js_bind(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!arg_int(env, argv[0], &fd) || !to_sockaddr(env, argv[1], &ss, &len)) return NULL;
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) return throw_errno(env, "bind", errno);
  return NULL;
}

napi_value js_getsockname(napi_env env, napi_callback_info info) {
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
napi_value js_setsockopt(napi_env env, napi_callback_info info) {
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

napi_value js_getsockopt_int(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, level, name;
  int value = 0;
  socklen_t len = sizeof(value);
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &level) || !arg_int(env, argv[2], &name))
    return NULL;
  if (getsockopt(fd, level, name, &value, &len) < 0) return throw_errno(env, "getsockopt", errno);
  return int_result(env, value);
}

/* Control-message space for one pktinfo, one hop limit / TTL and a receive timestamp, suitably aligned. */
typedef union {
  struct cmsghdr align;
  char space[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) +
             2 * CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct timespec))];
} control_buf;

/* sendto(fd, data, to?, pktinfo?): pktinfo { ifindex, source?, hopLimit? } adds IPV6_PKTINFO (inet6 `to`,
 * and IPV6_HOPLIMIT with hopLimit) or IP_PKTINFO (inet `to`) so the caller picks the outgoing interface and
 * source address. */
napi_value js_sendto(napi_env env, napi_callback_info info) {
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
      /* hopLimit (0..255): IPV6_HOPLIMIT for this datagram only; absent (or -1): the socket's. */
      int hop_limit = (int)prop_u32(env, argv[3], "hopLimit", UINT32_MAX);
      if (hop_limit >= 0 && hop_limit <= 255) {
        msg.msg_controllen += CMSG_SPACE(sizeof(int));
        cm = CMSG_NXTHDR(&msg, cm);
        cm->cmsg_level = IPPROTO_IPV6;
        cm->cmsg_type = IPV6_HOPLIMIT;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &hop_limit, sizeof(int));
      }
    }
  }
  ssize_t sent = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0) return throw_errno(env, "sendmsg", errno);
  return int_result(env, sent);
}

/* recvmsg(fd, buf): reads one datagram into `buf` without blocking. Returns null when nothing is
 * queued (EAGAIN), else { length, truncated, from, ifindex?, dst?, hopLimit?, ttl?, queuedNs? }; the
 * optional fields come from ancillary data the caller enabled (IPV6_RECVPKTINFO, IP_PKTINFO,
 * IPV6_RECVHOPLIMIT, IP_RECVTTL, SO_TIMESTAMPNS), or from sockaddr_ll for packet sockets. queuedNs:
 * how long ago the kernel received the datagram (its SO_TIMESTAMPNS stamp against CLOCK_REALTIME now),
 * so that the caller can place the arrival on any clock of its own. */
napi_value js_recvmsg(napi_env env, napi_callback_info info) {
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
    } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec stamp, now;
      napi_value queued;
      memcpy(&stamp, CMSG_DATA(cm), sizeof(stamp));
      clock_gettime(CLOCK_REALTIME, &now);
      double ns = (double)(now.tv_sec - stamp.tv_sec) * 1e9 + (double)(now.tv_nsec - stamp.tv_nsec);
      napi_create_double(env, ns, &queued);
      napi_set_named_property(env, result, "queuedNs", queued);
    }
  }
  return result;
}

napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return NULL;
}

napi_value js_if_name_to_index(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[IF_NAMESIZE + 1];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &n) != napi_ok)
    return throw_type(env, "expected an interface name");
  unsigned int index = n < IF_NAMESIZE ? if_nametoindex(name) : 0;
  if (index == 0) return throw_errno(env, "if_nametoindex", n < IF_NAMESIZE ? errno : ENAMETOOLONG);
  return int_result(env, index);
}

napi_value js_if_index_to_name(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t index;
  char name[IF_NAMESIZE];
  napi_value v;
  if (!arg_int(env, argv[0], &index)) return NULL;
  if (if_indextoname((unsigned int)index, name) == NULL) return throw_errno(env, "if_indextoname", errno);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  return v;
}

