#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests. Sourced by scripts/test.sh:
#   postgres_start   installs Debian's postgresql package when missing (as root), makes a cluster in a temporary
#                    folder (no password, fsync off, room for 1,000 connections: tests leave cases they
#                    opened to the garbage collector) listening on a free local port and a unix socket in that
#                    folder, and exports WARRANT_TEST_POSTGRES=postgresql://... ; when it cannot, it exports
#                    WARRANT_TEST_POSTGRES_SKIP with the reason instead (the PostgreSQL tests are then skipped).
#   postgres_stop    stops the cluster and removes its folder (safe to call twice, and when none was started).
# WARRANT_TEST_POSTGRES already set (a server of your own) is used as it is; WARRANT_TEST_POSTGRES=off skips.

_pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; fi
}

_pg_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 0
  echo "installing PostgreSQL for the PostgreSQL tests (apt-get install postgresql)..." >&2
  # no default cluster: the tests make their own, and nothing is left running
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  fi
  (apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
    || echo "warning: could not install PostgreSQL" >&2
}

_pg_skip() {
  export WARRANT_TEST_POSTGRES_SKIP="$1"
  unset WARRANT_TEST_POSTGRES
  echo "PostgreSQL tests will be skipped: $1" >&2
}

postgres_start() {
  if [ -n "${WARRANT_TEST_POSTGRES:-}" ]; then
    [ "$WARRANT_TEST_POSTGRES" = off ] && _pg_skip "WARRANT_TEST_POSTGRES=off"
    return 0
  fi
  local bindir
  bindir=$(_pg_bindir)
  if [ -z "$bindir" ]; then _pg_install; bindir=$(_pg_bindir); fi
  if [ -z "$bindir" ]; then
    _pg_skip "PostgreSQL is not installed (Debian: apt-get install postgresql; this command installs it as root)"
    return 0
  fi
  local as=()  # initdb and postgres refuse to run as root: run them as the package's postgres user
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1 || ! command -v runuser >/dev/null 2>&1; then
      _pg_skip "running as root without a postgres user to run the server as"
      return 0
    fi
    as=(runuser -u postgres --)
  fi
  WARRANT_PG_DIR=$(mktemp -d /tmp/warrant-pg.XXXXXX)
  export WARRANT_PG_DIR
  [ "$(id -u)" = 0 ] && chown postgres "$WARRANT_PG_DIR"
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if ! "${as[@]}" "$bindir/initdb" -D "$WARRANT_PG_DIR/data" -U warrant --auth=trust -E UTF8 --locale=C.UTF-8 \
         --no-sync >"$WARRANT_PG_DIR/initdb.log" 2>&1; then
    _pg_skip "initdb failed: $(tail -n 1 "$WARRANT_PG_DIR/initdb.log")"
    postgres_stop
    return 0
  fi
  if ! "${as[@]}" "$bindir/pg_ctl" -D "$WARRANT_PG_DIR/data" -l "$WARRANT_PG_DIR/server.log" -w -t 30 \
         -o "-p $port -k $WARRANT_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000" \
         start >/dev/null 2>&1; then
    _pg_skip "the PostgreSQL server did not start: $(tail -n 1 "$WARRANT_PG_DIR/server.log" 2>/dev/null)"
    postgres_stop
    return 0
  fi
  WARRANT_PG_STOP=("${as[@]}" "$bindir/pg_ctl" -D "$WARRANT_PG_DIR/data" -m immediate -w stop)
  export WARRANT_TEST_POSTGRES="postgresql://warrant@localhost:$port/postgres?host=$WARRANT_PG_DIR"
}

postgres_stop() {
  if [ -n "${WARRANT_PG_STOP:-}" ]; then
    "${WARRANT_PG_STOP[@]}" >/dev/null 2>&1 || true
    WARRANT_PG_STOP=()
  fi
  if [ -n "${WARRANT_PG_DIR:-}" ]; then
    rm -rf "$WARRANT_PG_DIR"
    WARRANT_PG_DIR=
  fi
}
