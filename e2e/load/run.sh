#!/usr/bin/env bash
# Load figures for the public side (issue 8): wrk against a release build on
# PostgreSQL with 10,000 caller numbers and 1,000,000 reservations. Prints
# /healthz throughput, then /hvem-ringte throughput and latency for known
# numbers and for unknown ones, each with its ratio to /healthz. Goal (issue
# 19): lookup p99 < 5 ms and >= 40 % of /healthz throughput, both kinds.
#
# Not part of the test suite. Usage (from anywhere):
#   e2e/load/run.sh
# Environment (all optional):
#   INNSYN_BIN        the binary (default: target/release/innsyn, built if missing)
#   PG_ADMIN_URL      a PostgreSQL URL with rights to create databases
#                     (default postgres://postgres@127.0.0.1:5432/postgres)
#   LOAD_PORT         port for the server (default 3999)
#   LOAD_SECONDS      seconds per wrk run (default 20)
#   LOAD_THREADS      wrk threads (default 2)
#   LOAD_CONNECTIONS  wrk connections (default 32)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${INNSYN_BIN:-$repo/target/release/innsyn}"
admin_url="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port="${LOAD_PORT:-3999}"
secs="${LOAD_SECONDS:-20}"
threads="${LOAD_THREADS:-2}"
conns="${LOAD_CONNECTIONS:-32}"
db="innsyn_load_$$"
db_url="${admin_url%/*}/$db"
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client" >&2; exit 1; }
if [ ! -x "$bin" ]; then
  echo "building the release binary (several minutes) ..." >&2
  (cd "$repo" && cargo build --release --bin innsyn)
fi

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "database $db: create, migrate, fill ..." >&2
psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="$db_url"
"$bin" migrate >/dev/null
"$bin" seed-demo >/dev/null
start=$(date +%s)
psql -q -v ON_ERROR_STOP=1 "$db_url" <<'SQL'
-- 10,000 caller numbers +4721000000 .. +4721009999 on the demo campaigns.
INSERT INTO caller_numbers (e164, campaign_id, valid_from, valid_to, message, created_at)
SELECT '+4721' || lpad(i::text, 6, '0'),
       (SELECT id FROM campaigns ORDER BY id OFFSET (i % (SELECT count(*) FROM campaigns)) LIMIT 1),
       DATE '2026-01-01', NULL,
       'Du ble ringt av Nordlys Kundedialog. Se nordlys.example/hvem-ringte.', now()
FROM generate_series(0, 9999) AS i;
-- 1,000,000 reservations +4790000000 .. +4790999999.
INSERT INTO reservations (e164, source, created_at)
SELECT '+479' || lpad(i::text, 7, '0'), 'import', now()
FROM generate_series(0, 999999) AS i;
ANALYZE;
SQL
echo "filled in $(( $(date +%s) - start )) s: $(psql -tA "$db_url" -c 'SELECT count(*) FROM caller_numbers') caller numbers, $(psql -tA "$db_url" -c 'SELECT count(*) FROM reservations') reservations" >&2

# The lookup is rate-limited per client address; wrk is one address, so the
# documented limit is raised for this run (responses are checked to be 200s).
RATE_LIMIT_LOOKUP_PER_MINUTE=4000000000 RUST_LOG=warn \
  "$bin" serve --bind "127.0.0.1:$port" --no-jobs >"/tmp/$db.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$base/healthz" >/dev/null || { echo "server did not start:" >&2; cat "/tmp/$db.log" >&2; exit 1; }

# Sanity: a known number is explained, an unknown one is not, both 200.
known=$(curl -s -o /dev/null -w '%{http_code}' "$base/hvem-ringte?nummer=%2B4721000042")
unknown=$(curl -s -o /dev/null -w '%{http_code}' "$base/hvem-ringte?nummer=21019999")
[ "$known" = 200 ] && [ "$unknown" = 200 ] || { echo "lookup answered $known/$unknown, expected 200/200" >&2; exit 1; }
# (The page is read whole first: `grep -q` stops early and curl's SIGPIPE
# would fail the pipeline.)
page=$(curl -s "$base/hvem-ringte?nummer=%2B4721000042")
grep -q 'Nordlys' <<<"$page" || { echo "a known number was not explained" >&2; exit 1; }

echo "wrk: $threads threads, $conns connections, $secs s per run (warm-up 3 s each) ..." >&2
wrk -t"$threads" -c"$conns" -d3s "$base/healthz" >/dev/null
h=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$here/healthz.lua" "$base/healthz" | grep '^HEALTHZ_RESULT')
wrk -t"$threads" -c"$conns" -d3s -s "$here/lookup.lua" "$base/" -- known >/dev/null
k=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$here/lookup.lua" "$base/" -- known | grep '^LOOKUP_RESULT')
u=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$here/lookup.lua" "$base/" -- unknown | grep '^LOOKUP_RESULT')

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
h_rps=$(field "$h" rps); h_bad=$(field "$h" non2xx); h_p99=$(field "$h" p99_ms)

echo
echo "cores: $(nproc), wrk -t$threads -c$conns -d${secs}s, 10,000 caller numbers, 1,000,000 reservations"
printf '%-22s %9.0f req/s                 p99 %6.2f ms   (non-2xx: %s)\n' "/healthz" "$h_rps" "$h_p99" "$h_bad"
bad=$h_bad
for which in known unknown; do
  if [ "$which" = known ]; then l=$k; else l=$u; fi
  l_rps=$(field "$l" rps); l_p99=$(field "$l" p99_ms); l_p50=$(field "$l" p50_ms)
  l_bad=$(field "$l" non2xx); l_err=$(field "$l" socket_errors)
  ratio=$(awk -v a="$l_rps" -v b="$h_rps" 'BEGIN { printf "%.1f", 100 * a / b }')
  p99_ok=$(awk -v p="$l_p99" 'BEGIN { print (p < 5) ? "met" : "MISSED" }')
  ratio_ok=$(awk -v r="$ratio" 'BEGIN { print (r >= 40) ? "met" : "MISSED" }')
  printf '%-22s %9.0f req/s  %5s %%   p50 %5.2f ms   p99 %6.2f ms   (non-2xx: %s, socket errors: %s)\n' \
    "/hvem-ringte $which" "$l_rps" "$ratio" "$l_p50" "$l_p99" "$l_bad" "$l_err"
  echo "    goals ($which): >= 40 % of /healthz: $ratio_ok; p99 < 5 ms: $p99_ok"
  bad=$((bad + l_bad))
done
if [ "$bad" != 0 ]; then
  echo "some responses were not 2xx: the figures are not valid" >&2
  exit 1
fi
