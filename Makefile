# Sulh — `make run` sets up and serves the app; `make test` sets up and runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app:create_app

.DEFAULT_GOAL := help
.PHONY: help run totp serve worker scheduler test test-pg lint format translations compile bench bench-prereqs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

compile: $(VENV)/.installed ## compile the translation catalogs
	$(BIN)/pybabel compile -d app/translations

run: $(VENV)/.installed compile ## set up the embedded default and serve on http://127.0.0.1:5000
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

totp: $(VENV)/.installed ## print a demo account's sign-in code: make totp EMAIL=manager@demo.sulh.test
	$(BIN)/flask demo totp $(or $(EMAIL),manager@demo.sulh.test)

serve: $(VENV)/.installed compile ## serve with gunicorn and several workers (set DATABASE_URL etc.)
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py 'app:create_app()'

worker: $(VENV)/.installed compile ## run a background-job worker (SULH_JOBS=rq, REDIS_URL)
	$(BIN)/flask jobs worker

scheduler: $(VENV)/.installed ## enqueue the deadline sweep and reminders every minute
	$(BIN)/flask jobs scheduler

test: $(VENV)/.installed compile lint ## run the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest

test-pg: $(VENV)/.installed compile ## run the suite against the local PostgreSQL
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest

lint: $(VENV)/.installed ## ruff, and mypy (strict on workflows/ and app/services/)
	$(BIN)/ruff check app workflows tests config.py
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff check --fix app workflows tests config.py

translations: $(VENV)/.installed ## extract strings and update the ar/fr catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext --no-location -w 100 \
		--sort-output --project=Sulh -o app/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -w 100 -i app/translations/messages.pot -d app/translations

BENCH_DB := sqlite:///$(CURDIR)/instance/bench.db

bench-prereqs: ## install wrk (Debian) for the load benchmark
	command -v wrk >/dev/null || apt-get install -y wrk

bench: $(VENV)/.installed compile bench-prereqs ## quick benchmark run on SQLite; full sizes in BENCHMARKS.md
	mkdir -p instance
	$(BIN)/python bench/seed.py --database-url $(BENCH_DB) --cases 5000 --reset
	$(BIN)/python bench/load.py --database-url $(BENCH_DB) --duration 5
	$(BIN)/python bench/pdf_render.py --pages 3 --repeat 2
	$(BIN)/python bench/sweep.py --deadlines 300
	$(BIN)/python bench/upload_rss.py 50

clean:
	rm -rf $(VENV) instance .pytest_cache
