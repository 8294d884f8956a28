#!/usr/bin/env bash
# Private PostgreSQL and Redis servers on loopback, for the tests and for scripts/cluster.sh.
#
#   scripts/services.sh start [DIR]   starts both (idempotent) and writes DIR/env
#   scripts/services.sh stop [DIR]    stops both and removes DIR
#
# DIR defaults to /tmp/confab-services. DIR/env holds the lines to source:
#   export CONFAB_TEST_DATABASE_URL=postgres://confab@127.0.0.1:PORT/postgres
#   export CONFAB_TEST_REDIS_URL=redis://127.0.0.1:PORT
# Ports come from CONFAB_PG_PORT (55432) and CONFAB_REDIS_PORT (56379). PostgreSQL refuses to run as root,
# so as root it runs as the `postgres` user, in a directory that user owns. Installs Debian's packages when
# they are missing.
set -euo pipefail

action=${1:-}
dir=${2:-/tmp/confab-services}
pg_port=${CONFAB_PG_PORT:-55432}
redis_port=${CONFAB_REDIS_PORT:-56379}
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

say() { printf '[services] %s\n' "$*" >&2; }

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$found" ] && echo "$found"
}

ensure_packages() {
  local missing=()
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]} from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a system-wide instance on install; the tests use their own.
  $SUDO service postgresql stop >/dev/null 2>&1 || true
  $SUDO service redis-server stop >/dev/null 2>&1 || true
}

# as_pg CMD...: runs CMD as the user PostgreSQL runs as (postgres when we are root, else ourselves).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin data="$dir/pg/data" sock="$dir/pg"
  bin=$(pg_bin)
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then return; fi
  mkdir -p "$sock"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir/pg"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$data" -U confab --auth=trust --no-sync -E UTF8 >/dev/null
    # Tests create a database each; fsync stays on, so an acknowledged message is on disk as in production.
    printf "max_connections = 400\nshared_buffers = 256MB\nlisten_addresses = ''\n" >>"$data/postgresql.conf"
  fi
  as_pg "$bin/pg_ctl" -D "$data" -w -t 30 -l "$dir/pg/log" \
    -o "-k $sock -h 127.0.0.1 -p $pg_port" start >/dev/null
  say "PostgreSQL on 127.0.0.1:$pg_port"
}

start_redis() {
  if [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then return; fi
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  say "Redis on 127.0.0.1:$redis_port"
}

case "$action" in
  start)
    ensure_packages
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chmod 755 "$dir"
    start_postgres
    start_redis
    cat >"$dir/env" <<EOF
export CONFAB_TEST_DATABASE_URL=postgres://confab@127.0.0.1:$pg_port/postgres
export CONFAB_TEST_REDIS_URL=redis://127.0.0.1:$redis_port
EOF
    ;;
  stop)
    bin=$(pg_bin || true)
    if [ -n "$bin" ] && [ -d "$dir/pg/data" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/pg/data" -m fast stop >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
