#!/usr/bin/env bash
# Runs the project's own PostgreSQL in .pgdata/ (git-ignored), on 127.0.0.1 and a socket there.
#   scripts/postgres.sh start | start-standby PRIMARY_PORT | stop | stop-immediate | status | psql [args…]
# HROMADA_PG_PORT and HROMADA_PG_BASE (the folder, .pgdata by default) choose another server, as
# the demo cluster's primary and its streaming-replication hot standby.
# As root the server runs as the `postgres` user, because PostgreSQL refuses to run as root.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
port="${HROMADA_PG_PORT:-54320}"
base="${HROMADA_PG_BASE:-$root/.pgdata}"
data="$base/data"
run="$base/run"
log="$base/postgres.log"

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_reachable() {
    # The postgres user must be able to walk down to the project folder.
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$root"; then
        local dir="$root"
        while [ "$dir" != "/" ]; do chmod o+x "$dir"; dir="$(dirname "$dir")"; done
    fi
}

prepare_base() {
    mkdir -p "$base"
    ensure_reachable
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$base"; fi
}

run_server() {
    if as_owner "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        return 0
    fi
    as_owner "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
}

start() {
    prepare_base
    if [ ! -s "$data/PG_VERSION" ]; then
        as_owner "$pg_bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        as_owner mkdir -p "$run"
        cat <<CONF | as_owner tee -a "$data/postgresql.conf" >/dev/null
# Hromada's local server
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
log_min_duration_statement = -1
CONF
    fi
    run_server
}

# A hot standby: a base backup of the primary on PRIMARY_PORT that then follows its WAL stream.
start_standby() {
    local primary_port="$1"
    prepare_base
    if [ ! -s "$data/PG_VERSION" ]; then
        as_owner "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$data" -R -X stream -c fast
        as_owner mkdir -p "$run"
        # The backup carries the primary's settings; the standby listens elsewhere.
        printf "port = %s\nunix_socket_directories = '%s'\nhot_standby_feedback = on\n" "$port" "$run" | as_owner tee -a "$data/postgresql.conf" >/dev/null
    fi
    run_server
}

case "${1:-}" in
    start) start ;;
    start-standby) start_standby "${2:?PRIMARY_PORT is missing}" ;;
    stop) as_owner "$pg_bin/pg_ctl" -D "$data" -m fast -w stop ;;
    stop-immediate) as_owner "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop ;;
    status) as_owner "$pg_bin/pg_ctl" -D "$data" status ;;
    psql) shift; exec "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@" ;;
    *) echo "usage: $0 start|stop|status|psql [args]" >&2; exit 2 ;;
esac
