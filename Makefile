# Hromada: `make run` serves the demo community, `make test` runs every test.
# Both install what is missing, build, and start the project's own PostgreSQL in .pgdata/.

PG_PORT ?= 54320
DATABASE_URL ?= postgres://postgres@127.0.0.1:$(PG_PORT)/hromada
TEST_TEMPLATE := hromada_test_template
HOST ?= 127.0.0.1
PORT ?= 8080
BUILD_FLAGS ?=
PSQL := HROMADA_PG_PORT=$(PG_PORT) scripts/postgres.sh psql

export HROMADA_PG_PORT := $(PG_PORT)

.PHONY: soak demo-cluster test-cluster run test deps db build build-tests template openapi bench-db bench-sign bench-vote bench-map bench-gis bench-export test-crash test-api-fuzz test-e2e test-security stop-db clean

# The secret that keys CSRF tokens and document hashes must outlive restarts: kept in .run/.
SECRET_FILE := .run/secret-key

run: deps db build $(SECRET_FILE)
	@$(PSQL) -d postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'hromada'" | grep -q 1 \
		|| $(PSQL) -d postgres -c "CREATE DATABASE hromada"
	.build/debug/hromada migrate --database-url "$(DATABASE_URL)"
	HROMADA_SECRET_KEY="$${HROMADA_SECRET_KEY:-$$(cat $(SECRET_FILE))}" .build/debug/hromada seed-demo --database-url "$(DATABASE_URL)"
	HROMADA_SECRET_KEY="$${HROMADA_SECRET_KEY:-$$(cat $(SECRET_FILE))}" \
		.build/debug/hromada serve --database-url "$(DATABASE_URL)" --host $(HOST) --port $(PORT)

$(SECRET_FILE):
	@mkdir -p .run && umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' > $@

test: deps db build-tests template openapi
	HROMADA_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$(PG_PORT)/postgres" \
	HROMADA_TEST_TEMPLATE=$(TEST_TEMPLATE) \
		swift test $(BUILD_FLAGS) --skip-build

# The OpenAPI document must be valid OpenAPI 3.1 (a test checks that it matches the router).
openapi:
	@python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r scripts/requirements-tools.txt
	python3 -m openapi_spec_validator Sources/Hromada/Resources/openapi.json

deps:
	@scripts/install-deps.sh

db: deps
	@scripts/postgres.sh start

build:
	swift build $(BUILD_FLAGS)

build-tests:
	swift build $(BUILD_FLAGS) --build-tests

# A migrated, empty database that every test suite clones.
template: db build-tests
	@$(PSQL) -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname LIKE 'test\_%' OR datname = '$(TEST_TEMPLATE)'" >/dev/null
	@$(PSQL) -d postgres -tc "SELECT 'DROP DATABASE \"' || datname || '\";' FROM pg_database WHERE datname LIKE 'test\_%'" | $(PSQL) -d postgres
	@$(PSQL) -d postgres -c "DROP DATABASE IF EXISTS $(TEST_TEMPLATE)" -c "CREATE DATABASE $(TEST_TEMPLATE)"
	.build/debug/hromada migrate --database-url "postgres://postgres@127.0.0.1:$(PG_PORT)/$(TEST_TEMPLATE)"

# Inserts through the driver's pool against pgbench on the same server, same run.
bench-db: deps db
	swift build -c release --product bench-db
	@$(PSQL) -d postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'hromada_bench'" | grep -q 1 \
		|| $(PSQL) -d postgres -c "CREATE DATABASE hromada_bench"
	.build/release/bench-db --database-url "postgres://postgres@127.0.0.1:$(PG_PORT)/hromada_bench" \
		--pgbench /usr/lib/postgresql/15/bin/pgbench

# Signing over HTTP with wrk (spread over 100 petitions, then all on one) against pgbench's INSERT.
# A release build of hromada and of the bench command $(1), and a scratch database $(2) with the
# demo data; $(3) is then the database's URL.
define scratch_setup
	@command -v wrk >/dev/null || { apt-get install -y -qq wrk || sudo apt-get install -y -qq wrk; }
	swift build -c release --product hromada
	swift build -c release --product $(1)
	@$(PSQL) -d postgres -c "DROP DATABASE IF EXISTS $(2) WITH (FORCE)" -c "CREATE DATABASE $(2)" >/dev/null
	.build/release/hromada migrate --database-url "postgres://postgres@127.0.0.1:$(PG_PORT)/$(2)"
	.build/release/hromada seed-demo --database-url "postgres://postgres@127.0.0.1:$(PG_PORT)/$(2)"
endef
scratch_url = postgres://postgres@127.0.0.1:$(PG_PORT)/$(1)
# The key of the load and crash tests' servers and of the demo they load.
LOAD_SECRET := load-test-secret-load-test-secret-0123456789
bench-sign bench-vote bench-map bench-gis bench-export test-crash soak: export HROMADA_SECRET_KEY := $(LOAD_SECRET)
PGBENCH := /usr/lib/postgresql/15/bin/pgbench

bench-sign: deps db
	$(call scratch_setup,bench-sign,hromada_bench_sign)
	.build/release/bench-sign --database-url "$(call scratch_url,hromada_bench_sign)" --pgbench $(PGBENCH)

# Budget votes over HTTP against pgbench's INSERT of the vote row, then the tally of a million ballots.
bench-vote: deps db
	$(call scratch_setup,bench-vote,hromada_bench_vote)
	.build/release/bench-vote --database-url "$(call scratch_url,hromada_bench_vote)" --pgbench $(PGBENCH)

# The Open City map over 100,000 reports, against a plain count(*) in the same run.
bench-map: deps db
	$(call scratch_setup,bench-map,hromada_bench_map)
	.build/release/bench-map --database-url "$(call scratch_url,hromada_bench_map)" --connections 8

# Importing 200,000 GeoJSON features against psql's \copy, and OGC items pages against a plain SELECT.
bench-gis: deps db
	$(call scratch_setup,bench-gis,hromada_bench_gis)
	.build/release/bench-gis --database-url "$(call scratch_url,hromada_bench_gis)" --connections 8 \
		--psql /usr/lib/postgresql/15/bin/psql

# Eight full open-data exports at once over 1,000,000 signatures and 100,000 reports: the server's
# memory, the rows/s, and count.json p99 beside the same figure without the exports.
bench-export: deps db
	$(call scratch_setup,bench-export,hromada_bench_export)
	.build/release/bench-export --database-url "$(call scratch_url,hromada_bench_export)" --connections 8 --seconds 10

# A scratch database $(1) with the demo, bench signers and voters, and their (token, target) pairs in .run/$(1)/.
define load_setup
	$(call scratch_setup,bench-sign,$(1))
	swift build -c release --product bench-vote
	@mkdir -p .run/$(1)
	.build/release/bench-sign --database-url "$(call scratch_url,$(1))" --prepare-only .run/$(1)
	.build/release/bench-vote --database-url "$(call scratch_url,$(1))" --prepare-only .run/$(1)
endef

# SIGKILL the server and crash PostgreSQL while signing and voting: every acknowledged signature and vote must survive.
test-crash: deps db
	$(call load_setup,hromada_crash)
	python3 scripts/crash-test.py "$(call scratch_url,hromada_crash)" .build/release/hromada \
		.run/hromada_crash/spread.pairs .run/hromada_crash/votes.pairs /usr/lib/postgresql/15/bin/psql

# Ten minutes of mixed traffic at a steady rate: errors, p99 latency and the server's memory over time.
SOAK_MINUTES ?= 10
soak: deps db
	$(call load_setup,hromada_soak)
	@# The soak posts about 8 Open311 requests a second with the demo key, beyond the default per-key limit:
	@# the demo community of its scratch database allows that key more (community_limits, see the README).
	$(PSQL) -d hromada_soak -c "INSERT INTO community_limits (community_id, action, scope, maximum, window_seconds) \
		SELECT id, 'open311_request', 'api_key', 1000000, 3600 FROM communities WHERE slug = 'khmelnytskyi'"
	python3 scripts/soak.py "$(call scratch_url,hromada_soak)" .build/release/hromada \
		.run/hromada_soak/spread.pairs .run/hromada_soak/votes.pairs --minutes $(SOAK_MINUTES)

# Schemathesis against the OpenAPI document: no 5xx, no response outside the document.
test-api-fuzz: deps db build
	scripts/fuzz-api.sh "$(call scratch_url,hromada_fuzz)"

# Browser journeys of every module in headless Chromium, with JavaScript on and off, and axe-core
# on the main pages (no serious or critical WCAG 2.1 A/AA violation); failures leave a screenshot
# and the page source in .run/e2e-failures/.
test-e2e: deps db build
	scripts/e2e.sh "$(call scratch_url,hromada_e2e)"

# sqlmap over every form, link, cookie and API parameter finds no SQL injection and no 5xx, then
# the schemathesis run above; outputs in .run/security/.
test-security: deps db build
	scripts/security-scan.sh "$(call scratch_url,hromada_security)"

# A primary with a streaming-replication hot standby, two processes and HAProxy on http://127.0.0.1:8080.
demo-cluster: deps build
	scripts/cluster.sh run

# The same cluster from empty databases: reads come from the standby within a second, one job queue runs each job once.
test-cluster: deps build
	python3 scripts/cluster-check.py

stop-db:
	@scripts/postgres.sh stop

clean:
	rm -rf .build
