{
  "targets": [
    {
      "target_name": "keepalived_native",
      "sources": ["src/keepalived_native.c", "src/sockets.c", "src/readiness.c", "src/process_ctl.c", "src/tcp_probe.c", "src/timed_sender.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    },
    {
      "target_name": "kts_locked_discard",
      "type": "shared_library",
      "sources": ["src/locked_discard.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    }
  ]
}
