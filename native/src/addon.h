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

/* Per-environment readiness state: set up at module init, torn down before the environment dies. */
int readiness_init(napi_env env);

#endif
