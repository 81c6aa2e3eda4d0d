#!/usr/bin/env bash
# Start-up time and idle memory (issue 19, "footprint"; not part of the test
# suite). For each database (a fresh SQLite file, a fresh PostgreSQL
# database) and each data size (the demo data alone; the demo data plus
# 1,000,000 reservations), it starts `innsyn serve` and prints the time until
# /healthz answers, the time until /readyz says ready (the reservation
# registers preloaded), and the server's resident memory once it is idle.
# Goals: /healthz within 1 s of start; idle memory under 100 MB with
# 1,000,000 reservations (25 MB with the demo data alone).
#
# Usage: e2e/load/footprint.sh   (needs curl; psql for PostgreSQL)
# Environment: INNSYN_BIN (default target/release/innsyn), PG_ADMIN_URL,
# LOAD_PORT (default 3998), FOOTPRINT_BACKENDS ("sqlite postgres").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${INNSYN_BIN:-$repo/target/release/innsyn}"
admin_url="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port="${LOAD_PORT:-3998}"
backends="${FOOTPRINT_BACKENDS:-sqlite postgres}"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"

# shellcheck source=lib.sh
. "$here/lib.sh"

now_ms() { date +%s%3N; }

# Starts the server, prints "healthz_ms readyz_ms rss_mb", stops it.
measure() {
  local t0 t_h="" t_r="" rss
  t0=$(now_ms)
  RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 3000); do
    if [ -z "$t_h" ] && curl -fs "$base/healthz" >/dev/null 2>&1; then t_h=$(( $(now_ms) - t0 )); fi
    if [ -n "$t_h" ] && curl -fs "$base/readyz" >/dev/null 2>&1; then t_r=$(( $(now_ms) - t0 )); break; fi
    sleep 0.005
  done
  [ -n "$t_r" ] || { echo "server not ready:" >&2; cat "$work/serve.log" >&2; exit 1; }
  sleep 5
  rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status")
  stop_server
  echo "$t_h $t_r $rss"
}

add_reservations() {
  case "$1" in
    sqlite)
      sqlite3 "$work/footprint.db" "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 999999)
        INSERT INTO reservations (e164, source, created_at)
        SELECT '+479' || substr('0000000' || i, -7), 'import', strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM s;" ;;
    postgres)
      psql -q "$DATABASE_URL" -c "INSERT INTO reservations (e164, source, created_at)
        SELECT '+479' || lpad(i::text, 7, '0'), 'import', now() FROM generate_series(0, 999999) AS i; ANALYZE;" ;;
  esac
}

printf '%-10s %-32s %12s %12s %10s\n' database data "to /healthz" "to /readyz" "idle RSS"
for backend in $backends; do
  case "$backend" in
    sqlite) export DATABASE_URL="sqlite://$work/footprint.db?mode=rwc" ;;
    postgres)
      pg_db="innsyn_footprint_$$"
      psql -q "$admin_url" -c "CREATE DATABASE $pg_db" >/dev/null
      export DATABASE_URL="${admin_url%/*}/$pg_db" ;;
  esac
  "$bin" migrate >/dev/null
  "$bin" seed-demo >/dev/null
  read -r h r m < <(measure)
  printf '%-10s %-32s %9s ms %9s ms %7s MB\n' "$backend" "demo data" "$h" "$r" "$m"
  add_reservations "$backend"
  read -r h r m < <(measure)
  printf '%-10s %-32s %9s ms %9s ms %7s MB\n' "$backend" "demo + 1,000,000 reservations" "$h" "$r" "$m"
  if [ "$backend" = postgres ]; then
    psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null; pg_db=""
  fi
done
