{
  "targets": [
    {
      "target_name": "reaper",
      "sources": ["reaper.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "output",
      "sources": ["output.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
