# Shared by the load scripts that start the release server themselves
# (sourced, not run). Expects `bin`, `repo`, `admin_url` and `work` set.
# Builds the binary when it is missing, and on exit stops the server
# (`server_pid`), drops the PostgreSQL database made for the run (`pg_db`)
# and removes `work`.

if [ ! -x "$bin" ]; then
  (cd "$repo" && cargo build --release --bin innsyn)
fi

server_pid=""
pg_db=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_db" ]; then psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Stops the server started last.
stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}
