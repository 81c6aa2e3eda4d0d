#!/usr/bin/env bash
# /healthz latency while 32 clients post wrong passwords (argon2 checks)
# to /admin/login, against a release build on SQLite. Not part of the tests.
#
# Usage: e2e/load/signin.sh
# Environment (all optional):
#   INNSYN_BIN    the binary (default: target/release/innsyn, built if missing)
#   LOAD_PORT     port for the server (default 3998)
#   LOAD_SECONDS  seconds of /healthz measurement (default 15)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${INNSYN_BIN:-$repo/target/release/innsyn}"
port="${LOAD_PORT:-3998}"
secs="${LOAD_SECONDS:-15}"
dir="$(mktemp -d)"
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ ! -x "$bin" ]; then
  echo "building the release binary (several minutes) ..." >&2
  (cd "$repo" && cargo build --release --bin innsyn)
fi

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$dir/load.db?mode=rwc"
"$bin" migrate >/dev/null
# Each flood request comes from its own address through "one trusted proxy".
TRUSTED_PROXY_HOPS=1 RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$port" --no-jobs >"$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$base/healthz" >/dev/null || { echo "server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }

echo "cores: $(nproc)"
wrk -t1 -c4 -d3s "$base/healthz" >/dev/null
echo "quiet:  $(wrk -t1 -c4 -d"${secs}s" --latency -s "$here/healthz_latency.lua" "$base/healthz" | grep '^HEALTHZ_LATENCY')"
wrk -t1 -c32 -d"$((secs + 6))s" --timeout 30s -s "$here/signin.lua" "$base/" >"$dir/flood.out" &
flood=$!
sleep 3
echo "flood:  $(wrk -t1 -c4 -d"${secs}s" --latency --timeout 30s -s "$here/healthz_latency.lua" "$base/healthz" | grep '^HEALTHZ_LATENCY')"
wait "$flood"
echo "logins: $(grep '^SIGNIN_RESULT' "$dir/flood.out") (wrong passwords answer 401)"
