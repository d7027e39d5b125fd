#!/usr/bin/env bash
# Browser journeys in headless Chromium (Selenium) with axe-core accessibility checks, against a
# server on a scratch database loaded with the demo data. Expects the debug build and a running
# PostgreSQL (make test-e2e sees to both).
# Usage: scripts/e2e.sh DATABASE_URL [pytest arguments…]
#   e.g. scripts/e2e.sh postgres://postgres@127.0.0.1:54320/hromada_e2e -k petition
set -euo pipefail
cd "$(dirname "$0")/.."
database_url="$1"
shift
hromada="${HROMADA_BINARY:-.build/debug/hromada}"
database="${database_url##*/}"
database="${database%%\?*}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Chromium and its driver from Debian; Selenium, pytest and axe-core 4.12.1 (inside
# axe-playwright-python) from PyPI, at the versions and hashes Tests/e2e/requirements.txt pins, in a
# folder of this checkout (.run/e2e-python) that is installed again only when that file changes.
# Nothing is fetched while the tests run.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
requirements=Tests/e2e/requirements.txt
python_packages=.run/e2e-python
if ! cmp -s "$requirements" "$python_packages/.requirements.txt"; then
    rm -rf "$python_packages"
    mkdir -p "$python_packages"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps --require-hashes --only-binary=:all: \
        --target "$python_packages" -r "$requirements"
    cp "$requirements" "$python_packages/.requirements.txt"
fi
export PYTHONPATH="$PWD/$python_packages${PYTHONPATH:+:$PYTHONPATH}"
python3 -c "import selenium, pytest, axe_playwright_python" \
    || { echo "e2e: the packages of $requirements do not import" >&2; exit 2; }

[ -x "$hromada" ] || { echo "e2e: $hromada is not built (make build)" >&2; exit 2; }

scripts/postgres.sh psql -d postgres -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" \
    -c "CREATE DATABASE \"$database\"" >/dev/null
# The same key for seed-demo as for the server: last year's published ballots are hashed from
# receipt codes keyed by it, and the receipt check must find a demo voter's ballot.
export HROMADA_SECRET_KEY="e2e-secret-e2e-secret-e2e-secret-e2e-secret"
mkdir -p .run
setup_log=.run/e2e-setup.log
{ "$hromada" migrate --database-url "$database_url" && "$hromada" seed-demo --database-url "$database_url"; } >"$setup_log" 2>&1 \
    || { echo "e2e: loading the demo failed:" >&2; cat "$setup_log" >&2; exit 1; }

port="${E2E_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
base_url="http://127.0.0.1:$port"
log=.run/e2e-server.log
rm -rf .run/e2e-failures
# Tiles point at a local path that does not exist: the machine has no internet, and the maps must
# draw their points without tiles anyway.
LOG_LEVEL=warning HROMADA_PUBLIC_URL="$base_url" HROMADA_TILE_URL="/static/e2e-no-tiles/{z}/{x}/{y}.png" \
    "$hromada" serve --database-url "$database_url" --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 150); do
    curl -sf "$base_url/readyz" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { echo "e2e: the server stopped; its log:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.2
done
curl -sf "$base_url/readyz" >/dev/null || { echo "e2e: $base_url/readyz never answered" >&2; exit 1; }

status=0
E2E_BASE_URL="$base_url" E2E_DATABASE_URL="$database_url" PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -c Tests/e2e/pytest.ini Tests/e2e "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "e2e: server log: $log (last lines below)"
    tail -n 20 "$log"
fi
exit "$status"
