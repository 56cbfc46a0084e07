{
  "targets": [
    {
      "target_name": "reaper",
      "sources": ["reaper.c", "spawn.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "output",
      "sources": ["output.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
