#!/bin/sh
# Build a tiny base image offline: busybox-static, the shared libraries dist/procinit (a node binary)
# links against, and the few files a Debian-like image has (/etc/passwd, /tmp ...). `docker import` of a
# folder: nothing is pulled. Usage: make-base-image.sh [IMAGE]   (default procinit-e2e-base)
set -eu
IMAGE=${1:-procinit-e2e-base}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || { echo "make-base-image: busybox not found (apt-get install -y busybox-static)" >&2; exit 1; }
BIN="$ROOT/dist/procinit"
[ -x "$BIN" ] || BIN=$(command -v node)

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/bin" "$dir/usr/sbin" "$dir/usr/local/bin" "$dir/etc" "$dir/tmp" \
  "$dir/run" "$dir/var/tmp" "$dir/root" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/app"
chmod 1777 "$dir/tmp" "$dir/var/tmp"
cp "$BUSYBOX" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
  [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
# the libraries, at the paths the dynamic loader looks for them
for lib in $(ldd "$BIN" | awk '/=>/ { print $3 } /^[[:space:]]*\// { print $1 }'); do
  mkdir -p "$dir$(dirname "$lib")"
  cp -L "$lib" "$dir$lib"
done
cat >"$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$dir/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
G
echo 'hosts: files' >"$dir/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$dir/etc/hosts"
tar -C "$dir" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["/bin/sh"]' - "$IMAGE"
