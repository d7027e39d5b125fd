#!/usr/bin/env bash
# The demo cluster: a PostgreSQL primary and its streaming-replication hot standby, two Hromada
# processes (writes to the primary, public reads from the standby, one shared job queue) and
# HAProxy in front of them on one address.
#   scripts/cluster.sh start | stop | run (start, wait for Ctrl-C, stop)
# CLUSTER_FRESH=1 starts from empty databases; HROMADA_SMTP_URL, when set, is given to both
# processes, each announcing its own name (web8081, web8082).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="$root/.run/cluster"
hromada="${HROMADA_BINARY:-$root/.build/debug/hromada}"
address_port="${CLUSTER_PORT:-8080}"
web_ports=(8081 8082)
primary_port=54330
standby_port=54331
primary_url="postgres://postgres@127.0.0.1:$primary_port/hromada"
standby_url="postgres://postgres@127.0.0.1:$standby_port/hromada"

primary() { HROMADA_PG_BASE="$root/.pgdata/cluster-primary" HROMADA_PG_PORT=$primary_port "$root/scripts/postgres.sh" "$@"; }
standby() { HROMADA_PG_BASE="$root/.pgdata/cluster-standby" HROMADA_PG_PORT=$standby_port "$root/scripts/postgres.sh" "$@"; }

wait_for() {
    for _ in $(seq 1 150); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done
    echo "$1 did not answer; see $state/*.log" >&2
    return 1
}

start_databases() {
    primary start
    primary psql -d postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'hromada'" | grep -q 1 \
        || primary psql -d postgres -c "CREATE DATABASE hromada"
    LOG_LEVEL=warning "$hromada" migrate --database-url "$primary_url" >/dev/null
    HROMADA_SECRET_KEY="$(cat "$root/.run/secret-key")" LOG_LEVEL=warning "$hromada" seed-demo --database-url "$primary_url" >/dev/null
    # Taken after the demo is loaded, the base backup already holds it; later changes stream.
    standby start-standby $primary_port
    [ "$(standby psql -d hromada -tAc 'SELECT pg_is_in_recovery()')" = t ] || { echo "the standby is not in recovery" >&2; return 1; }
}

start_web() {
    local port="$1" smtp="${HROMADA_SMTP_URL:-}"
    [ -n "$smtp" ] && smtp="$smtp&helo=web$port"
    DATABASE_URL="$primary_url" DATABASE_READ_URL="$standby_url" HROMADA_SMTP_URL="$smtp" \
        HROMADA_SECRET_KEY="$(cat "$root/.run/secret-key")" HROMADA_PUBLIC_URL="http://127.0.0.1:$address_port" \
        HROMADA_TRUSTED_PROXIES=127.0.0.1 HROMADA_DB_POOL_SIZE=8 LOG_LEVEL="${LOG_LEVEL:-notice}" \
        "$hromada" serve --port "$port" >>"$state/web$port.log" 2>&1 &
    echo $! >"$state/web$port.pid"
}

start_balancer() {
    command -v haproxy >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; }
    cat >"$state/haproxy.cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option forwardfor
frontend hromada
    bind 127.0.0.1:$address_port
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /readyz
$(for port in "${web_ports[@]}"; do echo "    server web$port 127.0.0.1:$port check inter 1s"; done)
CFG
    haproxy -f "$state/haproxy.cfg" -D -p "$state/haproxy.pid"
}

start() {
    stop 2>/dev/null || true
    if [ "${CLUSTER_FRESH:-}" = 1 ]; then rm -rf "$root/.pgdata/cluster-primary" "$root/.pgdata/cluster-standby"; fi
    mkdir -p "$state"
    [ -s "$root/.run/secret-key" ] || (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' >"$root/.run/secret-key")
    start_databases
    for port in "${web_ports[@]}"; do start_web "$port"; done
    for port in "${web_ports[@]}"; do wait_for "http://127.0.0.1:$port/readyz"; done
    start_balancer
    wait_for "http://127.0.0.1:$address_port/readyz"
    echo "Hromada cluster: http://127.0.0.1:$address_port (processes on ${web_ports[*]}; primary :$primary_port, standby :$standby_port)"
}

stop() {
    for pidfile in "$state"/haproxy.pid "$state"/web*.pid; do
        [ -s "$pidfile" ] || continue
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    done
    standby stop >/dev/null 2>&1 || true
    primary stop >/dev/null 2>&1 || true
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    run)
        start
        trap stop EXIT
        echo "Ctrl-C stops the cluster."
        wait
        ;;
    *) echo "usage: $0 start|stop|run" >&2; exit 2 ;;
esac
