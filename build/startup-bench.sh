#!/bin/sh
# Start-up of the single executable against plain node, with hyperfine (the figures in README.md,
# "Single executable"). Usage: sh build/startup-bench.sh [RUNS]   (needs dist/procinit and hyperfine)
# Builds a code-cache-less twin in a temp folder to show what the V8 code cache buys.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-200}
BIN="$ROOT/dist/procinit"
[ -x "$BIN" ] || { echo "startup-bench: build dist/procinit first (npm run build)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "startup-bench: hyperfine is not installed" >&2; exit 1; }
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$BIN" "$tmp/procinit"
node "$ROOT/build/sea.mjs" --no-code-cache >/dev/null
cp "$BIN" "$tmp/procinit-no-cache"
cp "$tmp/procinit" "$BIN" # put the default build back
cp "$ROOT/dist/procinit.js" "$tmp/procinit.js" # a stable copy: npm test rewrites dist/procinit.js
printf 'web: true\n' >"$tmp/Procfile"
cd "$tmp"
hyperfine -N -w 10 -r "$RUNS" --export-json "$tmp/startup.json" \
  -n 'node -e 0' 'node -e 0' \
  -n 'node: spawn true and wait' "node -e \"require('child_process').spawnSync('true')\"" \
  -n 'procinit --version' "$tmp/procinit --version" \
  -n 'procinit --version (no code cache)' "$tmp/procinit-no-cache --version" \
  -n 'node dist/procinit.js --version' "node $tmp/procinit.js --version" \
  -n 'procinit -- true' "$tmp/procinit -- true" \
  -n 'procinit, Procfile "web: true"' "$tmp/procinit" >/dev/null
# median and minimum: on a shared machine the mean mostly measures the neighbours
node -e '
const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const ms = (s) => (s * 1000).toFixed(1);
console.log("| command | median ms | min ms |\n|---|---:|---:|");
for (const r of results) console.log(`| ${r.command} | ${ms(r.median)} | ${ms(r.min)} |`);
' "$tmp/startup.json"
