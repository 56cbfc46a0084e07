#!/bin/sh
# Make a Docker engine ready for procinit's end-to-end tests, offline:
#   1. use the running engine, or start dockerd (as root, in the background) if none answers;
#   2. build the base image procinit-e2e-base (busybox + the shared libraries dist/procinit needs), with
#      `docker import` of a folder: no image is ever pulled.
# Prints "ready: ..." and exits 0, or prints "skipped: no docker engine (REASON)" and exits 3.
#
# Environment: PROCINIT_E2E_BASE (image name, default procinit-e2e-base), PROCINIT_DOCKERD_LOG
# (default /var/log/procinit-dockerd.log), PROCINIT_DOCKER_DATA (data-root, default /var/lib/docker).
# Option: --rebuild-base   build the base image even if it exists.
set -eu

BASE=${PROCINIT_E2E_BASE:-procinit-e2e-base}
LOG=${PROCINIT_DOCKERD_LOG:-/var/log/procinit-dockerd.log}
DATA=${PROCINIT_DOCKER_DATA:-/var/lib/docker}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REBUILD=0
[ "${1:-}" = "--rebuild-base" ] && REBUILD=1

skip() {
  echo "skipped: no docker engine ($1)"
  exit 3
}

engine_up() { docker info >/dev/null 2>&1; }

command -v docker >/dev/null 2>&1 || skip "docker client not installed: apt-get install -y docker.io"

if ! engine_up; then
  command -v dockerd >/dev/null 2>&1 || skip "dockerd not installed and no engine answers"
  [ "$(id -u)" = 0 ] || skip "no engine answers and only root can start dockerd"
  # No bridge network and no iptables rules: test containers use --network none or host.
  mkdir -p "$DATA"
  nohup dockerd --data-root "$DATA" --iptables=false --ip6tables=false --bridge=none \
    --pidfile /var/run/procinit-dockerd.pid >"$LOG" 2>&1 </dev/null &
  i=0
  until engine_up; do
    i=$((i + 1))
    if [ $i -gt 60 ] || ! kill -0 $! 2>/dev/null; then
      skip "dockerd did not start: $(tail -n 3 "$LOG" 2>/dev/null | tr '\n' ' ' | cut -c1-300)"
    fi
    sleep 0.5
  done
fi

if [ $REBUILD = 1 ] || ! docker image inspect "$BASE" >/dev/null 2>&1; then
  "$ROOT/test/e2e/make-base-image.sh" "$BASE" >/dev/null
fi
echo "ready: $(docker version --format 'engine {{.Server.Version}}, storage driver' 2>/dev/null) $(docker info --format '{{.Driver}}' 2>/dev/null), base image $BASE"
