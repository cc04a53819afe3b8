/*
 * keepalived-ts native addon: generic Linux sockets and a monotonic timerfd, read through libuv.
 *
 * Nothing here knows VRRP. Every descriptor is non-blocking, every read stops at EAGAIN, and
 * readiness comes from uv_poll, so no call can stall the event loop. Failures throw a JS Error
 * whose `code` is the errno name (EPERM, ENODEV, ...), like node's own system errors.
 *
 * This file holds the shared argument helpers, the constants table and the module init; the socket
 * calls live in sockets.c, the libuv polls and timers in readiness.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "addon.h"

/* ------------------------------------------------------------------ errors and arguments */

napi_value throw_errno(napi_env env, const char *syscall, int err) {
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

napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* Reads argv[i] as an int32; false (with a pending TypeError) if it is not a number. */
int arg_int(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    throw_type(env, "expected a number");
    return 0;
  }
  return 1;
}

int arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_buffer = false;
  napi_is_buffer(env, v, &is_buffer);
  if (!is_buffer || napi_get_buffer_info(env, v, data, len) != napi_ok) {
    throw_type(env, "expected a Buffer or Uint8Array");
    return 0;
  }
  return 1;
}

int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_undefined || t == napi_null;
}

/* Optional numeric property of an object, `fallback` when absent. */
uint32_t prop_u32(napi_env env, napi_value obj, const char *name, uint32_t fallback) {
  napi_value v;
  uint32_t out;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || is_nullish(env, v)) return fallback;
  return napi_get_value_uint32(env, v, &out) == napi_ok ? out : fallback;
}

int prop_string(napi_env env, napi_value obj, const char *name, char *buf, size_t size) {
  napi_value v;
  size_t len = 0;
  buf[0] = '\0';
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || is_nullish(env, v)) return 0;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok && len > 0;
}

void set_u32(napi_env env, napi_value obj, const char *name, uint32_t value) {
  napi_value v;
  napi_create_uint32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

void set_str(napi_env env, napi_value obj, const char *name, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, name, v);
}

napi_value int_result(napi_env env, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  return v;
}

/* ------------------------------------------------------------------ module */

/* glibc's headers may not have it yet (Linux 4.15): an unbound unicast VRRP socket binds a source
   address that is not there yet, as keepalived does */
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define C(name) {#name, name}
static const struct {
  const char *name;
  int value;
} constants[] = {
    C(AF_INET), C(AF_INET6), C(AF_PACKET), C(AF_NETLINK), C(AF_UNIX), C(SOCK_RAW), C(SOCK_DGRAM),
    C(IPPROTO_IP), C(IPPROTO_IPV6), C(IPPROTO_ICMPV6), C(IPPROTO_RAW), C(SOL_SOCKET), C(SOL_PACKET),
    C(SOL_NETLINK), C(SO_BINDTODEVICE), C(SO_RCVBUF), C(SO_RCVBUFFORCE), C(SO_SNDBUF), C(SO_SNDBUFFORCE), C(SO_PRIORITY),
    C(SO_MARK), C(SO_TIMESTAMPNS), C(SO_REUSEADDR), C(SO_ERROR), C(IP_HDRINCL), C(IP_TTL), C(IP_RECVTTL), C(IP_PKTINFO),
    C(IP_MULTICAST_TTL), C(IP_MULTICAST_IF), C(IP_MULTICAST_LOOP), C(IP_MULTICAST_ALL),
    C(IP_ADD_MEMBERSHIP), C(IP_DROP_MEMBERSHIP), C(IPV6_JOIN_GROUP), C(IPV6_LEAVE_GROUP),
    C(IPV6_MULTICAST_HOPS), C(IPV6_MULTICAST_IF), C(IPV6_MULTICAST_LOOP), C(IPV6_UNICAST_HOPS),
    C(IPV6_RECVHOPLIMIT), C(IPV6_RECVPKTINFO), C(IPV6_CHECKSUM), C(IPV6_V6ONLY), C(IP_FREEBIND), C(IPV6_FREEBIND), C(NETLINK_ROUTE),
    C(NETLINK_GENERIC), C(NETLINK_ADD_MEMBERSHIP), C(NETLINK_DROP_MEMBERSHIP), C(NETLINK_EXT_ACK),
    C(NETLINK_GET_STRICT_CHK), C(NETLINK_NO_ENOBUFS), C(PACKET_ADD_MEMBERSHIP), C(PACKET_DROP_MEMBERSHIP),
    C(PACKET_MR_MULTICAST), C(PACKET_MR_PROMISC), C(ETH_P_ALL), C(ETH_P_IP), C(ETH_P_ARP), C(ETH_P_RARP),
    C(ETH_P_IPV6),
    C(TCP_PROBE_RECORD_SIZE), C(TCP_PROBE_F_BIND_ADDR), C(TCP_PROBE_F_BIND_DEVICE),
    C(TCP_PROBE_F_SCOPE_FROM_IFNAME), C(TCP_PROBE_F_MARK), C(TCP_PROBE_F_GRACEFUL_CLOSE),
    C(RLIMIT_RTTIME), C(RLIMIT_CORE),
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
      FN("setScheduler", js_set_scheduler),
      FN("getScheduler", js_get_scheduler),
      FN("tcpProberCreate", js_tcp_prober_create),
      FN("tcpProberSubmit", js_tcp_prober_submit),
      FN("tcpProberCancel", js_tcp_prober_cancel),
      FN("tcpProberClose", js_tcp_prober_close),
      FN("tcpProberInFlight", js_tcp_prober_in_flight),
      FN("timedSenderCreate", js_timed_sender_create),
      FN("timedSenderArm", js_timed_sender_arm),
      FN("timedSenderDisarm", js_timed_sender_disarm),
      FN("timedSenderTake", js_timed_sender_take),
      FN("timedSenderClose", js_timed_sender_close),
      FN("signalSocket", js_signal_socket),
      FN("rtSignals", js_rt_signals),
      FN("setns", js_setns),
      FN("setThreadName", js_set_thread_name),
      FN("lockMemory", js_lock_memory),
      FN("setAffinity", js_set_affinity),
      FN("setRlimit", js_set_rlimit),
  };
  napi_value table, v;
  if (!readiness_init(env)) return NULL;
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
