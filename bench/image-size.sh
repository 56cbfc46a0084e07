#!/bin/sh
# What each way of getting an init or supervisor into an image adds to it, measured in one run on the same
# offline base (test/e2e/make-base-image.sh: busybox-static plus the libraries node links). For each option
# an image is built FROM the base with only that option added; the figures are the image's size minus the
# base's, uncompressed (docker image inspect) and gzipped (docker save | gzip -6, what a registry stores
# and a pull moves, roughly). Debian packages are copied from this machine's installation with what
# debian:bookworm-slim images leave out (docs, man pages, locales) left out too, and their __pycache__.
# Each image is run once to show that what was added works. (zlib1g is counted with python3 although
# debian-slim has it: the busybox base does not.)
# Usage: sh bench/image-size.sh [OUT.md]    (needs docker, dist/procinit, npm; run as root)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-/dev/stdout}
BASE=${PROCINIT_E2E_BASE:-procinit-e2e-base}
export DOCKER_BUILDKIT=0 DOCKER_CLI_HINTS=false
work=$(mktemp -d)
trap 'rm -rf "$work"; docker rmi -f $(docker images -q --filter label=procinit-image-size=1) >/dev/null 2>&1 || true' EXIT

docker image inspect "$BASE" >/dev/null 2>&1 || sh "$ROOT/test/e2e/make-base-image.sh" "$BASE" >/dev/null
[ -x "$ROOT/dist/procinit" ] || node "$ROOT/build/build.mjs" >/dev/null

size() { docker image inspect -f '{{.Size}}' "$1"; }
gz() { docker save "$1" | gzip -6 | wc -c; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1000000 }'; }
base_size=$(size "$BASE")
base_gz=$(gz "$BASE")

# files of Debian packages (and the __pycache__ beside them) into DIR, without docs, man pages, locales
debfiles() {
  dir=$1; shift
  for p in "$@"; do dpkg -L "$p"; done | sort -u | grep -Ev '^/usr/share/(doc|man|info|locale|lintian|bug)(/|$)' | while read -r f; do
    if [ -L "$f" ] && [ -d "$f" ]; then
      : # /lib, /bin ... (merged /usr): the base has those folders
    elif [ -L "$f" ] || [ -f "$f" ]; then
      mkdir -p "$dir$(dirname "$f")" && cp -a "$f" "$dir$f"
    elif [ -d "$f" ] && [ -d "$f/__pycache__" ]; then
      mkdir -p "$dir$f" && cp -a "$f/__pycache__" "$dir$f/"
    fi
  done
}

# build NAME from a context holding root/ (copied over the base) and RUN CHECK in it
build() {
  name=$1; ctx=$2; check=$3
  printf 'FROM %s\nCOPY root/ /\n' "$BASE" >"$ctx/Dockerfile"
  docker build -q --label procinit-image-size=1 -t "procinit-size-$name" "$ctx" >/dev/null
  docker run --rm --network none "procinit-size-$name" sh -c "$check" >/dev/null 2>&1 || { echo "image-size: $name does not work: $check" >&2; exit 1; }
  s=$(size "procinit-size-$name"); g=$(gz "procinit-size-$name")
  echo "$name $((s - base_size)) $((g - base_gz))"
}

mk() { d="$work/$1"; mkdir -p "$d/root"; echo "$d"; }

rows=""
d=$(mk sea); mkdir -p "$d/root/usr/local/bin"; cp "$ROOT/dist/procinit" "$d/root/usr/local/bin/"
rows="$rows$(build sea "$d" 'procinit --version')
"
d=$(mk tini); mkdir -p "$d/root/usr/bin"; cp /usr/bin/tini-static "$d/root/usr/bin/tini"
rows="$rows$(build tini "$d" 'tini --version')
"
d=$(mk s6); debfiles "$d/root" s6 libs6-2.11 libskarnet2.13 libexecline2.9 execline
rows="$rows$(build s6 "$d" 'test -x /usr/bin/s6-svscan && s6-svscan -h; s6-svstat -h; true')
"
d=$(mk supervisor)
debfiles "$d/root" supervisor python3 python3-minimal python3.11 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib \
  libpython3-stdlib python3-pkg-resources media-types libexpat1 libffi8 libsqlite3-0 libssl3 libreadline8 readline-common libncursesw6 libgdbm6 libgdbm-compat4 zlib1g
rows="$rows$(build supervisor "$d" 'supervisord --version')
"
# an image that has Node already (node:20-slim's way: the node binary), then the npm package installed into it
d=$(mk node); mkdir -p "$d/root/usr/bin" "$d/root/usr/lib/node_modules"; cp "$(command -v node)" "$d/root/usr/bin/node"
rows="$rows$(build node "$d" 'node -e 0')
"
pkg="$work/pkg"; mkdir -p "$pkg"
(cd "$ROOT" && npm pack --silent --pack-destination "$pkg" >/dev/null)
prefix="$work/npm-prefix"
npm i -g --prefix "$prefix" --offline --no-audit --no-fund --silent "$pkg"/procinit-*.tgz >/dev/null
d=$(mk npm); mkdir -p "$d/root/usr/lib/node_modules" "$d/root/usr/bin"
cp "$(command -v node)" "$d/root/usr/bin/node"; cp -a "$prefix/lib/node_modules/procinit" "$d/root/usr/lib/node_modules/"
ln -s ../lib/node_modules/procinit/bin/procinit "$d/root/usr/bin/procinit"
[ -e "$d/root/usr/bin/env" ] || ln -s /bin/env "$d/root/usr/bin/env"
npm_row=$(build npm "$d" 'procinit --version')
node_row=$(echo "$rows" | grep '^node ')
npm_only="npm-package $(( $(echo "$npm_row" | cut -d' ' -f2) - $(echo "$node_row" | cut -d' ' -f2) )) $(( $(echo "$npm_row" | cut -d' ' -f3) - $(echo "$node_row" | cut -d' ' -f3) ))"
rows="$rows$npm_only
"

{
  echo "| what is added to the image | MB uncompressed | MB gzipped |"
  echo "|---|---:|---:|"
  echo "$rows" | while read -r name raw gzd; do
    [ -n "$name" ] || continue
    case $name in
      sea) label='procinit, the single executable (dist/procinit)' ;;
      npm-package) label='procinit, the npm package, on an image that has Node (npm i -g)' ;;
      node) label='(Node itself: the node binary an image with Node already has)' ;;
      supervisor) label='python3 + supervisor (Debian packages, as apt-get install --no-install-recommends on a slim image)' ;;
      s6) label='s6 + execline (Debian packages)' ;;
      tini) label='tini (tini-static)' ;;
    esac
    echo "| $label | $(mb "$raw") | $(mb "$gzd") |"
  done
  echo
  echo "Measured $(date -u +%Y-%m-%d) with $(node --version) on $(uname -m) by bench/image-size.sh; base image $(mb "$base_size") MB."
} >"$OUT"
