#!/bin/sh
# CI entry for the Docker end-to-end tests: install docker.io and busybox-static if missing (needs root
# and apt), then start dockerd if no engine answers and build the offline base image (docker-env.sh).
# Exit 0: engine ready. Exit 3: skipped (a line says why). Call: sh test/e2e/setup-docker.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
[ -x /bin/busybox ] || missing="$missing busybox-static"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null; }
  else
    echo "skipped: no docker engine (cannot install$missing: not root or no apt-get)"
    exit 3
  fi
fi
exec "$HERE/docker-env.sh" "$@"
