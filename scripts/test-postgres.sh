#!/usr/bin/env bash
# Start a throwaway local PostgreSQL server for the test suite (installing Debian's package
# when it is missing) and print its URL as the last line on stdout.
# Usage: scripts/test-postgres.sh [start|stop]
set -euo pipefail

PGDATA_DIR=${VIKTIGT_PG_DIR:-/tmp/viktigt-test-pg}
PORT=${VIKTIGT_PG_PORT:-54329}
URL="postgresql://viktigt:viktigt@127.0.0.1:${PORT}/postgres"

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

as_owner() {
  # initdb and postgres refuse to run as root; use the postgres system user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

BIN=$(find_bin || true)
if [ -z "$BIN" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "PostgreSQL is not installed; installing Debian's postgresql package..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN=$(find_bin || true)
  fi
fi
if [ -z "$BIN" ]; then
  echo "Cannot provide PostgreSQL: it is not installed and this user cannot install it" \
       "(run as root with apt-get, or set TEST_DATABASE_URL)." >&2
  exit 1
fi

if [ "${1:-start}" = "stop" ]; then
  as_owner "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >&2 || true
  exit 0
fi

if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --no-create-home postgres
fi

if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
  mkdir -p "$PGDATA_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR"
  pwfile=$(mktemp)
  echo viktigt > "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_owner "$BIN/initdb" -D "$PGDATA_DIR" -U viktigt --pwfile="$pwfile" -A scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >&2
  rm -f "$pwfile"
fi

if ! as_owner "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
  as_owner "$BIN/pg_ctl" -D "$PGDATA_DIR" -w -l "$PGDATA_DIR/server.log" \
    -o "-p $PORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200" \
    start >&2
fi
echo "$URL"
