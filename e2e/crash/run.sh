#!/usr/bin/env bash
# Crash safety (not part of the test suite): complaints from many concurrent
# clients against the release binary, the server killed with SIGKILL in the
# middle, restarted on the same database; then the retention purge killed in
# the middle and run again. Prints the counts and exits non-zero when a
# receipt a client saw is not a stored case with its message, or anything is
# half-written.
#
# Usage: e2e/crash/run.sh
# Environment (all optional):
#   INNSYN_BIN        the binary (default target/release/innsyn, built if missing)
#   CRASH_BACKENDS    "sqlite postgres" (default), or one of them
#   PG_ADMIN_URL      a PostgreSQL role that may create databases
#                     (default postgres://postgres@127.0.0.1:5432/postgres)
#   CRASH_PORT        port of the server (default 3998)
#   CRASH_CLIENTS     concurrent clients (default 32)
#   CRASH_KILL_AFTER  seconds of intake before the kill (default 4)
#   CRASH_PURGE_KILL_AFTER  latest kill of the purge, in seconds (default 5.0); it is
#                     killed as soon as its first batch is gone
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${INNSYN_BIN:-$repo/target/release/innsyn}"
backends="${CRASH_BACKENDS:-sqlite postgres}"
admin_url="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port="${CRASH_PORT:-3998}"
clients="${CRASH_CLIENTS:-32}"
kill_after="${CRASH_KILL_AFTER:-4}"
purge_kill_after="${CRASH_PURGE_KILL_AFTER:-5.0}"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
failed=0

if [ ! -x "$bin" ]; then
  echo "building the release binary (several minutes) ..." >&2
  (cd "$repo" && cargo build --release --bin innsyn)
fi

server_pid=""
pg_db=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -9 "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_db" ]; then
    psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# sql QUERY: one value (or rows, tab-separated) from the database under test.
sql() {
  case "$DATABASE_URL" in
    sqlite:*)
      python3 - "$db_file" "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=30)
for row in con.execute(sys.argv[2]):
    print("\t".join("" if v is None else str(v) for v in row))
con.commit()
PY
      ;;
    *) psql -qtA -F $'\t' "$DATABASE_URL" -c "$1" ;;
  esac
}

start_server() {
  RATE_LIMIT_FORMS_PER_MINUTE=1000000000 RUST_LOG=warn \
    "$bin" serve --bind "127.0.0.1:$port" --no-jobs >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    if curl -fs "$base/readyz" >/dev/null 2>&1; then
      # Warm up: the phone parser loads its metadata on first use.
      curl -fs "$base/hvem-ringte?nummer=91234567" >/dev/null 2>&1 || true
      return 0
    fi
    sleep 0.05
  done
  echo "the server did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
}

# check RECEIPTS: every receipt a client saw is a case with its message.
check_receipts() {
  sql "SELECT c.reference, m.body FROM cases c JOIN messages m ON m.case_id = c.id" >"$work/stored.tsv"
  python3 - "$1" "$work/stored.tsv" <<'PY'
import re, sys
stored = {}
for line in open(sys.argv[2], encoding="utf-8"):
    ref, _, body = line.rstrip("\n").partition("\t")
    m = re.search(r"\((crash-\d+-\d+)\)", body)
    if m:
        stored.setdefault(ref, set()).add(m.group(1))
seen = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
missing = [(r, t) for r, t in seen if t not in stored.get(r, ())]
print(f"receipts seen by clients: {len(seen)}; stored with their message: {len(seen) - len(missing)}; missing: {len(missing)}")
for r, t in missing[:10]:
    print(f"  MISSING {r} {t}")
sys.exit(1 if missing else 0)
PY
}

half_written() {
  local no_msg orphan
  no_msg=$(sql "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.case_id = c.id)")
  orphan=$(sql "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = m.case_id)")
  echo "cases without a message: $no_msg; messages without a case: $orphan"
  [ "$no_msg" = 0 ] && [ "$orphan" = 0 ]
}

for backend in $backends; do
  echo "=== $backend ==="
  : >"$work/receipts.tsv"
  case "$backend" in
    sqlite)
      db_file="$work/crash.db"
      rm -f "$db_file" "$db_file-wal" "$db_file-shm"
      export DATABASE_URL="sqlite://$db_file?mode=rwc"
      ;;
    postgres)
      pg_db="innsyn_crash_$$"
      psql -q "$admin_url" -c "CREATE DATABASE $pg_db" >/dev/null
      export DATABASE_URL="${admin_url%/*}/$pg_db"
      "$bin" migrate >/dev/null
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac

  # 1. Intake under load, server killed mid-run.
  start_server
  python3 "$here/clients.py" --base "$base" --clients "$clients" --seconds 120 \
    --out "$work/receipts.tsv" >"$work/clients.out" &
  clients_pid=$!
  sleep "$kill_after"
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  wait "$clients_pid" || true
  echo "intake killed after ${kill_after} s: $(cat "$work/clients.out")"
  echo "cases stored: $(sql "SELECT count(*) FROM cases")"
  [ -s "$work/receipts.tsv" ] || { echo "no receipts before the kill"; failed=1; }
  check_receipts "$work/receipts.tsv" || failed=1
  half_written || failed=1

  # 2. It starts again on the same database and takes complaints.
  start_server
  before=$(wc -l <"$work/receipts.tsv")
  python3 "$here/clients.py" --base "$base" --clients 4 --seconds 2 \
    --out "$work/receipts.tsv" >"$work/clients.out"
  echo "after the restart: $(cat "$work/clients.out")"
  [ "$(wc -l <"$work/receipts.tsv")" -gt "$before" ] || { echo "no receipts after the restart"; failed=1; }
  check_receipts "$work/receipts.tsv" || failed=1
  kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

  # 3. The retention purge killed mid-run: every case closed two years ago.
  case "$backend" in
    sqlite) sql "UPDATE cases SET status = 'closed', closed_at = '2024' || substr(received_at, 5)" >/dev/null ;;
    postgres) sql "UPDATE cases SET status = 'closed', closed_at = received_at - interval '2 years'" >/dev/null ;;
  esac
  total=$(sql "SELECT count(*) FROM cases")
  RUST_LOG=warn "$bin" retention run >"$work/purge1.out" 2>&1 &
  purge_pid=$!
  # Kill it as soon as it has purged something but not everything (after
  # its first batch), or after CRASH_PURGE_KILL_AFTER seconds at most.
  deadline=$(( $(date +%s%N) + ${purge_kill_after%.*}000000000 + 10#${purge_kill_after#*.}00000000 ))
  while kill -0 "$purge_pid" 2>/dev/null; do
    now_left=$(sql "SELECT count(*) FROM cases")
    if [ "$now_left" -lt "$total" ] || [ "$(date +%s%N)" -gt "$deadline" ]; then break; fi
  done
  if kill -9 "$purge_pid" 2>/dev/null; then killed=yes; else killed="no (it had finished)"; fi
  wait "$purge_pid" 2>/dev/null || true
  left=$(sql "SELECT count(*) FROM cases")
  echo "purge killed: killed while running: $killed; cases $total before, $left left at the kill"
  half_written || failed=1
  RUST_LOG=warn "$bin" retention run >"$work/purge2.out" 2>&1 || { cat "$work/purge2.out"; failed=1; }
  left=$(sql "SELECT count(*) FROM cases")
  echo "purge run again: $left cases left (expected 0); messages left: $(sql "SELECT count(*) FROM messages")"
  [ "$left" = 0 ] || failed=1
  half_written || failed=1

  if [ "$backend" = postgres ]; then
    psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
    pg_db=""
  fi
done

if [ "$failed" = 0 ]; then echo "crash safety: all counts as expected"; else echo "crash safety: FAILED"; fi
exit "$failed"
