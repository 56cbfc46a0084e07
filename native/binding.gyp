{
  "targets": [
    {
      "target_name": "reaper",
      "sources": ["reaper.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "lines",
      "sources": ["lines.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
