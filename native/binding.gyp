{
  "targets": [
    {
      "target_name": "procinit",
      "sources": ["addon.c", "reaper.c", "spawn.c", "output.c", "pump.c", "listen.c", "memory.cc", "notify.c", "probe.c", "sock.c", "ctl.c", "watchdog.c", "source.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
