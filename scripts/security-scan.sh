#!/usr/bin/env bash
# make test-security: sqlmap over every parameter the server reads (HTML forms and links as an
# anonymous visitor, the demo citizen and the demo administrator; the JSON API from its OpenAPI
# document; Open311 and OGC API Features) must find no SQL injection and no 5xx, then the
# schemathesis run of scripts/fuzz-api.sh. Outputs go to .run/security/.
# Usage: scripts/security-scan.sh DATABASE_URL [HROMADA_BINARY]
# The database (a hromada_* scratch one) is re-created with the demo data for each part; the
# server listens on 127.0.0.1:8093 or the next free port (scripts/scratch-server.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
database_url="$1"
hromada="${2:-.build/debug/hromada}"
out=.run/security
started=$(date +%s)

if ! command -v sqlmap >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq sqlmap
    else sudo apt-get update -qq && sudo apt-get install -y -qq sqlmap; fi
fi
rm -rf "$out"
mkdir -p "$out"

source scripts/scratch-server.sh
SCRATCH_LOG="$out/server.log" SCRATCH_LOG_LEVEL=info scratch_server_start "$database_url" 8093 "$hromada"
# Rate limits answer 429 before a handler reads its parameters: in this scratch database every
# window counts one hit, so each payload reaches the code under test.
"$SCRATCH_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$database_url" <<'SQL'
CREATE FUNCTION security_scan_one_hit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.hits := 1; RETURN NEW; END $$;
CREATE TRIGGER security_scan_one_hit BEFORE INSERT OR UPDATE ON rate_limit_windows
    FOR EACH ROW EXECUTE FUNCTION security_scan_one_hit();
SQL
echo "== sqlmap against $SCRATCH_BASE_URL =="
python3 scripts/sqlmap_targets.py discover "$SCRATCH_BASE_URL" "$out"
sqlmap_status=0
# Three sqlmap processes at a time and eight minutes a target before it counts as hung: on a busy
# 2-core machine four at once kept the scratch server's connections waiting past its pool timeout.
python3 scripts/sqlmap_targets.py scan "$out" --jobs 3 --timeout 480 --server-log "$out/server.log" || sqlmap_status=$?
if ! curl -sf "$SCRATCH_BASE_URL/readyz" >/dev/null; then
    echo "PROBLEM: the server stopped answering during the scan (its log: $out/server.log)"
    sqlmap_status=1
fi
scratch_server_stop
sqlmap_done=$(date +%s)

echo "== schemathesis (scripts/fuzz-api.sh) =="
fuzz_status=0
scripts/fuzz-api.sh "$database_url" "$hromada" || fuzz_status=$?
finished=$(date +%s)

echo "== security scan =="
echo "sqlmap:       $([ "$sqlmap_status" -eq 0 ] && echo passed || echo FAILED) in $((sqlmap_done - started)) s (details in $out/summary.json)"
echo "schemathesis: $([ "$fuzz_status" -eq 0 ] && echo passed || echo FAILED) in $((finished - sqlmap_done)) s"
echo "wall time:    $((finished - started)) s"
# sqlmap's problems again, here, where the tail of a CI log shows them
if [ "$sqlmap_status" -ne 0 ] && [ -f "$out/summary.json" ]; then
    python3 -c 'import json, sys; [print("PROBLEM: " + p) for p in json.load(open(sys.argv[1]))["problems"][:20]]' "$out/summary.json"
fi
[ "$sqlmap_status" -eq 0 ] && [ "$fuzz_status" -eq 0 ]
