#!/usr/bin/env bash
# Complaint intake rate (not part of the test suite): wrk posts the real
# complaint form (CSRF cookie + field) from LOAD_CONNECTIONS concurrent
# connections against the release binary, on a fresh SQLite file and a
# fresh PostgreSQL database; then counts the stored cases. Zero errors are
# expected and every answered request must be a stored case.
#
# Usage: e2e/load/intake.sh   (needs wrk and psql)
# Environment: INNSYN_BIN, PG_ADMIN_URL, LOAD_PORT, LOAD_SECONDS (default
# 10), LOAD_THREADS (2), LOAD_CONNECTIONS (32), INTAKE_BACKENDS ("sqlite postgres").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${INNSYN_BIN:-$repo/target/release/innsyn}"
admin_url="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port="${LOAD_PORT:-3999}"
secs="${LOAD_SECONDS:-10}"
threads="${LOAD_THREADS:-2}"
conns="${LOAD_CONNECTIONS:-32}"
backends="${INTAKE_BACKENDS:-sqlite postgres}"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
status=0

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
# shellcheck source=lib.sh
. "$here/lib.sh"

for backend in $backends; do
  case "$backend" in
    sqlite) export DATABASE_URL="sqlite://$work/intake.db?mode=rwc" ;;
    postgres)
      pg_db="innsyn_intake_$$"
      psql -q "$admin_url" -c "CREATE DATABASE $pg_db" >/dev/null
      export DATABASE_URL="${admin_url%/*}/$pg_db"
      "$bin" migrate >/dev/null
      ;;
  esac
  # wrk is one client address: the form rate limit is raised for the run.
  RATE_LIMIT_FORMS_PER_MINUTE=1000000000 RUST_LOG=warn \
    "$bin" serve --bind "127.0.0.1:$port" --no-jobs >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
  # Warm up: the phone parser loads its metadata on first use.
  curl -fs "$base/hvem-ringte?nummer=91234567" >/dev/null 2>&1 || true
  out=$(wrk -t "$threads" -c "$conns" -d "${secs}s" --timeout 10s --latency -s "$here/complaint.lua" "$base")
  stop_server
  case "$backend" in
    sqlite) stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM cases').fetchone()[0])" "$work/intake.db") ;;
    postgres) stored=$(psql -qtA "$DATABASE_URL" -c "SELECT count(*) FROM cases") ;;
  esac
  line=$(grep '^INTAKE' <<<"$out")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  echo "$backend: $rps complaints/s at $conns connections (p50 $p50, p99 $p99); $line; cases stored: $stored"
  if ! grep -q 'errors=0 socket_errors=0 non_receipts=0' <<<"$line"; then status=1; fi
  if [ -n "$pg_db" ]; then psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null; pg_db=""; fi
done
exit "$status"
