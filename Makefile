# MAPPA Flow. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app:create_app

.DEFAULT_GOAL := help
.PHONY: help setup run prod test lint fmt assets db demo bench bench-throughput simulate simulate-postgresql clean lock

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# Python packages come from requirements.lock (exact versions with hashes; `make lock` remakes it from pyproject.toml)
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

lock: $(BIN)/.installed ## Remake requirements.lock (pinned, hashed) from pyproject.toml's ranges
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --allow-unsafe --extra=dev --generate-hashes --no-emit-index-url \
	  --no-emit-find-links --strip-extras --output-file=requirements.lock pyproject.toml

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

app/static/dist/app.css: node_modules/.installed app/static/build.mjs $(wildcard app/static/src/*.scss)
	npm run --silent build

setup: $(BIN)/.installed assets ## Install Python and npm packages and build the assets

assets: app/static/dist/app.css ## Compile GOV.UK/MOJ Sass and copy front-end assets

db: $(BIN)/.installed ## Migrate the SQLite database in instance/ and publish the shipped models
	$(BIN)/flask db upgrade
	$(BIN)/flask mappa sync-models

demo: db ## Load the demo areas, users (passwords printed) and cases
	$(BIN)/flask mappa seed-demo

run: setup demo ## Set everything up and serve on http://127.0.0.1:5000 with the scheduler
	MAPPA_SCHEDULER=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

PROD_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/mappa
prod: setup ## Production mode on loopback: PostgreSQL, gunicorn (port 8000) and one scheduler process
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432. Start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set PROD_DATABASE_URL." >&2; exit 1; }
	@test -n "$$SECRET_KEY" || { echo "Set SECRET_KEY (32 characters or more), e.g. export SECRET_KEY=\$$(openssl rand -base64 48)" >&2; exit 1; }
	@psql -q "$(PROD_DATABASE_URL)" -c 'select 1' >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres "$(notdir $(PROD_DATABASE_URL))"
	DATABASE_URL="$(PROD_DATABASE_URL)" $(BIN)/python -m app.production

test: setup ## Run the whole test suite (set MAPPA_TEST_DATABASE_URL for PostgreSQL)
	MAPPA_BPMN_COVERAGE=strict $(BIN)/pytest

lint: $(BIN)/.installed ## ruff, mypy and the layer contract
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(BIN)/.installed ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## Run the benchmarks and print the results table
	$(BIN)/python -m bench.run

simulate: setup ## National simulation: 42 areas, 91,000 cases, a year through the services (bench/RESULTS.md)
	$(BIN)/python -m bench.simulate

simulate-postgresql: setup ## The national simulation's year driven on PostgreSQL (the machine's own server)
	$(BIN)/python -m bench.simulate --database-url postgresql://postgres@127.0.0.1:5432/bench_simulate

clean: ## Remove the venv, node_modules and built assets
	rm -rf $(VENV) node_modules app/static/dist

bench-throughput: setup ## Sustained throughput: gunicorn (1, 2, 4 workers) on PostgreSQL under load, into bench/RESULTS.md
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
	$(BIN)/python -m bench.throughput
