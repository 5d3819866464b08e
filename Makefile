# `make run`: set up everything and serve the demo on http://127.0.0.1:5000 (SQLite).
# `make test`: set up everything and run the whole suite (SQLite, then PostgreSQL).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# wsgi.py starts production unless told otherwise; the local targets run the demo.
DEV := KPJKU_CONFIG=development
FLASK := $(DEV) $(VENV)/bin/flask --app wsgi
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: setup db run test test-sqlite test-postgres bench bench-pages bench-scale bench-import cluster lighthouse clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

db: setup
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty

run: db
	$(FLASK) run --host 127.0.0.1 --port 5000

test: test-sqlite test-postgres

test-sqlite: setup
	$(PY) -m pytest

# The browser test and the start-up tests (their own processes and databases) run once, in
# the SQLite pass (so do tests of SQLite's own settings: tests/conftest.py deselects them).
test-postgres: setup
	TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -m "not e2e and not startup"

bench: db
	$(DEV) $(PY) bench/import_bench.py
	$(DEV) $(PY) bench/pages_bench.py

# Pages against a bare Flask app under the same gunicorn settings, SQLite and PostgreSQL
# (needs wrk; PG_BENCH_URL names a database it may drop): issue 10's targets, PASS/FAIL.
bench-pages: setup
	$(PY) bench/pages_bench.py

# A 10,000- and a 1,000,000-participant registry on PostgreSQL: the same pages, p95 within 1.2x.
PG_SERVER ?= postgresql+psycopg://postgres@127.0.0.1:5432
bench-scale: setup
	$(PY) bench/scale_bench.py --pg $(PG_SERVER)

# The registry import: rows/s and peak memory, 50k rows and the 1M registry on PostgreSQL.
bench-import: setup
	$(PY) bench/import_bench.py

# nginx in front of two gunicorn instances on PostgreSQL and Redis (README, "Production").
cluster: setup
	$(PY) bench/cluster/run.py

# Lighthouse (npm, installed into build/node/ on the first run) on Masuk, Beranda, Profil,
# Tambah KPJ and the card pages, in Debian's Chromium with mobile emulation; its own demo DB.
lighthouse: setup
	$(PY) bench/lighthouse.py

clean:
	rm -rf $(VENV) instance .pytest_cache
