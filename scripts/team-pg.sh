#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: `start DIR` creates one in
# DIR (initdb, password authentication, listening on a free loopback port
# only) and starts it, printing `export` lines for the tests; `stop DIR` and
# `restart DIR` stop and start it (the team outbox test stops the database
# on purpose); `remove DIR` stops it and deletes DIR. initdb and postgres
# refuse to run as root, so they run as the `postgres` system user.
set -euo pipefail
cmd="${1:?start|stop|restart|remove}"
dir="${2:?a directory}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/initdb" ] || { echo "team-pg: PostgreSQL is not installed (run scripts/setup.sh)" >&2; exit 1; }
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
data="$dir/data"
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
    printf '%s\n' "$password" > "$dir/pw"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/pw"
    chmod 600 "$dir/pw"
    as_pg "$bin/initdb" -D "$data" -U linkdesk_test --auth=scram-sha-256 \
      --pwfile="$dir/pw" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=""
    for _ in $(seq 50); do
      p=$((20000 + RANDOM % 20000))
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
    done
    [ -n "$port" ] || { echo "team-pg: no free port" >&2; exit 1; }
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
CONF
    # Tests trade durability for speed; the benchmark measures a durable
    # database (LINKDESK_PG_DURABLE=1).
    if [ "${LINKDESK_PG_DURABLE:-0}" != 1 ]; then
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >>"$data/postgresql.conf"
    fi
    as_pg "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export LINKDESK_TEST_PG_URL='postgres://linkdesk_test:$password@127.0.0.1:$port/postgres'"
    echo "export LINKDESK_TEST_PG_DIR='$dir'"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    ;;
  restart)
    as_pg "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null
    ;;
  remove)
    as_pg "$bin/pg_ctl" -D "$data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "team-pg: unknown command $cmd" >&2; exit 2
    ;;
esac
