#!/bin/sh
# supervisor's own end-to-end suite (Debian's supervisor/tests/test_end_to_end.py, unchanged) against procinit:
# a copy of the installed supervisor package whose supervisord module execs procinit under the name
# `supervisord`; everything else is the real thing. Prints unittest's verbose report.
# Usage: run.sh [TEST_NAME_PATTERN...]   (env PROCINIT_BIN: the procinit to run; default bin/procinit)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
pkg=/usr/lib/python3/dist-packages/supervisor
[ -f "$pkg/tests/test_end_to_end.py" ] || { echo "supervisor's tests are not installed ($pkg/tests)" >&2; exit 77; }
/usr/bin/python3 -c 'import pexpect' 2>/dev/null || { echo "python3-pexpect is not installed" >&2; exit 77; }
work=$(mktemp -d /tmp/procinit-sv-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$pkg" "$work/supervisor"
rm -rf "$work/supervisor/__pycache__" "$work/supervisor/tests/__pycache__"
cp "$here/supervisord_shim.py" "$work/supervisor/supervisord.py"
# test_issue_565's fixture runs `bash %(here)s/hello.sh`, which Debian's package does not ship (the test then
# fails under the real supervisord too). Upstream's fixture prints the test's lines once a second; one of the
# same kind is made here only when the package lacks it, so the test checks what it was written for
# (supervisorctl tail -f of non-ASCII output).
if [ ! -e "$work/supervisor/tests/fixtures/hello.sh" ]; then
  printf '%s\n' '#!/bin/bash' 'n=0' 'while [ $n -lt 30 ]; do' '    n=$((n+1))' \
    '    echo "The Øresund bridge ends in Malmö - $n"' '    sleep 1' 'done' > "$work/supervisor/tests/fixtures/hello.sh"
fi
mkdir "$work/bin"
ln -s "${PROCINIT_BIN:-$repo/bin/procinit}" "$work/bin/supervisord"
export PROCINIT_AS_SUPERVISORD="$work/bin/supervisord"
export PYTHONPATH="$work"
export END_TO_END=1
# AUTO child logs go to the temp dir, and every supervisord clears the AUTO logs of its identifier there at
# start: a private one, so that runs side by side (or other tests) never delete each other's logs
mkdir "$work/tmp"
export TMPDIR="$work/tmp"
unset NODE_EXTRA_CA_CERTS PROCINIT_SOCKET
cd "$work"
if [ $# -gt 0 ]; then
  set -- $(for t in "$@"; do printf 'supervisor.tests.test_end_to_end.EndToEndTests.%s ' "$t"; done)
else
  set -- supervisor.tests.test_end_to_end
fi
exec /usr/bin/python3 -m unittest -v "$@" 2>&1
