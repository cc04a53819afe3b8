/*
 * Shared by the addon's translation units: argument and error helpers (keepalived_native.c), the
 * socket functions (sockets.c) and the libuv readiness / time functions (readiness.c).
 */
#ifndef KEEPALIVED_NATIVE_ADDON_H
#define KEEPALIVED_NATIVE_ADDON_H

#include <stddef.h>
#include <stdint.h>

#include <node_api.h>

/* Throw a JS error (errno-coded or TypeError) and return NULL for `return throw_...(...)`. */
napi_value throw_errno(napi_env env, const char *syscall, int err);
napi_value throw_type(napi_env env, const char *message);

/* Argument readers: 1 on success, 0 with a pending TypeError. */
int arg_int(napi_env env, napi_value v, int32_t *out);
int arg_bytes(napi_env env, napi_value v, void **data, size_t *len);
int is_nullish(napi_env env, napi_value v);

/* Object property helpers. */
uint32_t prop_u32(napi_env env, napi_value obj, const char *name, uint32_t fallback);
int prop_string(napi_env env, napi_value obj, const char *name, char *buf, size_t size);
void set_u32(napi_env env, napi_value obj, const char *name, uint32_t value);
void set_str(napi_env env, napi_value obj, const char *name, const char *value);
napi_value int_result(napi_env env, int64_t value);

#define ARGS(n)                                                                                  \
  size_t argc = n;                                                                               \
  napi_value argv[n];                                                                            \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);                                          \
  for (size_t i_ = argc; i_ < n; i_++) napi_get_undefined(env, &argv[i_])

/* Exported functions, registered by the module init in keepalived_native.c. */
napi_value js_socket(napi_env env, napi_callback_info info);
napi_value js_bind(napi_env env, napi_callback_info info);
napi_value js_getsockname(napi_env env, napi_callback_info info);
napi_value js_setsockopt(napi_env env, napi_callback_info info);
napi_value js_getsockopt_int(napi_env env, napi_callback_info info);
napi_value js_sendto(napi_env env, napi_callback_info info);
napi_value js_recvmsg(napi_env env, napi_callback_info info);
napi_value js_close(napi_env env, napi_callback_info info);
napi_value js_if_name_to_index(napi_env env, napi_callback_info info);
napi_value js_if_index_to_name(napi_env env, napi_callback_info info);

napi_value js_poll_start(napi_env env, napi_callback_info info);
napi_value js_poll_stop(napi_env env, napi_callback_info info);
napi_value js_poll_ref(napi_env env, napi_callback_info info);
napi_value js_monotonic_now(napi_env env, napi_callback_info info);
napi_value js_timerfd_create(napi_env env, napi_callback_info info);
napi_value js_timerfd_arm(napi_env env, napi_callback_info info);
napi_value js_timerfd_read(napi_env env, napi_callback_info info);
napi_value js_set_scheduler(napi_env env, napi_callback_info info);
napi_value js_get_scheduler(napi_env env, napi_callback_info info);

/* process_ctl.c: realtime signals through a socket pair, setns into a named network namespace. */
napi_value js_signal_socket(napi_env env, napi_callback_info info);
napi_value js_rt_signals(napi_env env, napi_callback_info info);
napi_value js_setns(napi_env env, napi_callback_info info);
napi_value js_set_thread_name(napi_env env, napi_callback_info info);
napi_value js_lock_memory(napi_env env, napi_callback_info info);
napi_value js_set_affinity(napi_env env, napi_callback_info info);
napi_value js_set_rlimit(napi_env env, napi_callback_info info);

/* Batched TCP connect prober (tcp_probe.c); the record layout is shared with src/net/tcp-prober.ts. */
#define TCP_PROBE_RECORD_SIZE 72
#define TCP_PROBE_F_BIND_ADDR 1
#define TCP_PROBE_F_BIND_DEVICE 2
#define TCP_PROBE_F_SCOPE_FROM_IFNAME 4
#define TCP_PROBE_F_MARK 8
#define TCP_PROBE_F_GRACEFUL_CLOSE 16
napi_value js_tcp_prober_create(napi_env env, napi_callback_info info);
napi_value js_tcp_prober_submit(napi_env env, napi_callback_info info);
napi_value js_tcp_prober_cancel(napi_env env, napi_callback_info info);
napi_value js_tcp_prober_close(napi_env env, napi_callback_info info);
napi_value js_tcp_prober_in_flight(napi_env env, napi_callback_info info);

/* Timed sender (timed_sender.c): a thread sends prepared datagrams at an absolute monotonic deadline. */
napi_value js_timed_sender_create(napi_env env, napi_callback_info info);
napi_value js_timed_sender_arm(napi_env env, napi_callback_info info);
napi_value js_timed_sender_disarm(napi_env env, napi_callback_info info);
napi_value js_timed_sender_take(napi_env env, napi_callback_info info);
napi_value js_timed_sender_close(napi_env env, napi_callback_info info);

/* Per-environment readiness state: set up at module init, torn down before the environment dies. */
int readiness_init(napi_env env);

#endif
