# Sourced by scripts/fuzz-api.sh and scripts/security-scan.sh: a scratch database with the demo
# data and a server on 127.0.0.1 in front of it, stopped when the calling script exits.
#
#   source scripts/scratch-server.sh
#   scratch_server_start DATABASE_URL PORT [HROMADA_BINARY]
#       drops and re-creates the database (its name must start with `hromada_`), migrates it,
#       loads the demo data, serves it on PORT or the next free port, and waits until it answers;
#       sets SCRATCH_BASE_URL and SCRATCH_PID. SCRATCH_LOG (a file; default: this terminal) and
#       SCRATCH_LOG_LEVEL (default: warning) shape the server's log; HROMADA_PUBLIC_URL is the
#       server's own address, other HROMADA_* variables in the environment reach it as they are.
#   scratch_api_token [EMAIL]     prints a bearer token (default: the demo citizen)
#   scratch_server_stop           stops the server (also done on EXIT)

SCRATCH_SECRET_KEY="scratch-secret-scratch-secret-scratch-secret"
SCRATCH_PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

# DATABASE_URL → its database dropped and created empty, through the server's `postgres` database.
scratch_database_recreate() {
    local url="$1" name
    name="${url##*/}"
    name="${name%%\?*}"
    case "$name" in
        hromada_?*) ;;
        *) echo "scratch-server: refusing to re-create '$name' (not a hromada_* scratch database)" >&2; return 2 ;;
    esac
    "$SCRATCH_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "${url%/*}/postgres" \
        -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" -c "CREATE DATABASE \"$name\"" >/dev/null
}

# The first port from $1 on that nothing on 127.0.0.1 listens to.
scratch_free_port() {
    python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
while True:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            break
        except OSError:
            port += 1
print(port)
PY
}

scratch_server_start() {
    local database_url="$1" port hromada="${3:-.build/debug/hromada}"
    port="$(scratch_free_port "$2")"
    scratch_database_recreate "$database_url"
    "$hromada" migrate --database-url "$database_url" >/dev/null
    HROMADA_SECRET_KEY="$SCRATCH_SECRET_KEY" "$hromada" seed-demo --database-url "$database_url" >/dev/null
    SCRATCH_BASE_URL="http://127.0.0.1:$port"
    HROMADA_SECRET_KEY="$SCRATCH_SECRET_KEY" HROMADA_PUBLIC_URL="$SCRATCH_BASE_URL" LOG_LEVEL="${SCRATCH_LOG_LEVEL:-warning}" \
        "$hromada" serve --database-url "$database_url" --host 127.0.0.1 --port "$port" >"${SCRATCH_LOG:-/dev/stderr}" 2>&1 &
    SCRATCH_PID=$!
    trap scratch_server_stop EXIT
    local _
    for _ in $(seq 1 150); do
        curl -sf "$SCRATCH_BASE_URL/readyz" >/dev/null && return 0
        kill -0 "$SCRATCH_PID" 2>/dev/null || break
        sleep 0.2
    done
    echo "scratch-server: the server on $SCRATCH_BASE_URL did not become ready" >&2
    return 1
}

scratch_api_token() {
    curl -sf -X POST -H 'content-type: application/json' \
        -d "{\"email\":\"${1:-citizen@khmelnytskyi.demo}\",\"password\":\"demo-password\"}" \
        "$SCRATCH_BASE_URL/api/v1/session" | python3 -c "import sys, json; print(json.load(sys.stdin)['token'])"
}

scratch_server_stop() {
    if [ -n "${SCRATCH_PID:-}" ]; then
        kill "$SCRATCH_PID" 2>/dev/null || true
        wait "$SCRATCH_PID" 2>/dev/null || true
        SCRATCH_PID=""
    fi
}
