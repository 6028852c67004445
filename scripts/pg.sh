#!/usr/bin/env bash
# Runs a private PostgreSQL server for the demo, the tests and the
# benchmarks: its data, socket and log all live under DIR; it listens on
# a unix socket only, so it never clashes with another server.
#
#   scripts/pg.sh start DIR   initdb (first time) and start; prints the URL
#   scripts/pg.sh stop DIR    fast shutdown
#   scripts/pg.sh url DIR     the connection URL
#
# As root the server runs as the postgres user, as PostgreSQL requires.
set -euo pipefail

cmd=${1:?usage: pg.sh start|stop|url DIR}
dir=${2:?usage: pg.sh start|stop|url DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgresql:///lens?host=$dir&user=lens"; }

start() {
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
    # postgres must be able to reach the directory through its parents.
    p=$dir
    while [ "$p" != / ]; do p=$(dirname "$p"); chmod o+x "$p" 2>/dev/null || true; done
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bindir/initdb" -D "$dir/data" -U lens --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if ! as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir -c max_wal_size=4GB -c shared_buffers=256MB -c max_connections=200" \
      start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
  fi
  as_pg "$bindir/psql" -h "$dir" -U lens -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='lens'" | grep -q 1 \
    || as_pg "$bindir/createdb" -h "$dir" -U lens lens
  url
}

stop() {
  [ -f "$dir/data/PG_VERSION" ] || return 0
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: pg.sh start|stop|url DIR" >&2; exit 2 ;;
esac
