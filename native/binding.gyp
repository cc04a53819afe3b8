{
  "targets": [
    {
      "target_name": "keepalived_native",
      "sources": ["src/keepalived_native.c", "src/sockets.c", "src/readiness.c", "src/process_ctl.c", "src/tcp_probe.c", "src/timed_sender.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
