# Clauses & Label — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Local defaults (override in the environment). Production never uses these.
export DEBUG ?= 1

.PHONY: install run test lint format migrate seed worker bench lock check-deploy clean

install: $(STAMP)

# Development machines and CI install requirements-dev.lock (the production lock plus the
# test tools); production installs requirements.lock only.
$(STAMP): requirements.lock requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	@touch $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

worker: install
	$(PY) manage.py db_worker

# Installs, migrates the SQLite default, loads the demo data, starts the worker in the
# background and serves http://$(HOST):$(PORT) (Ctrl-C stops both: mife/lancer.py forwards
# the signal to each and waits). The documents (QR code of the attestations) carry SITE_URL,
# http://$(HOST):$(PORT) unless the environment sets it.
run: seed
	$(PY) -m mife.lancer $(HOST) $(PORT)

test: lint
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=0 $(PY) -m pytest $(PYTEST_ARGS)

# ruff, then the import contracts of .importlinter (layers of docs/architecture.md).
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

check-deploy: install
	DEBUG=0 SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(64))") \
	ALLOWED_HOSTS=clauses.example.org SITE_URL=https://clauses.example.org \
	$(PY) manage.py check --deploy --fail-level WARNING

# Seeds a large dataset in a dedicated database (bench.sqlite3, or BENCH_DATABASE_URL) and
# prints the timings of the big lists and exports next to their raw SQL reference.
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/bench.sqlite3
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) ALLOWED_HOSTS=testserver $(PY) manage.py bench $(BENCH_ARGS)

# Recompile the lock files after editing requirements.in or requirements-dev.in (needs
# network access to PyPI).
lock: install
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
		--output-file requirements.lock requirements.in
	$(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
		--output-file requirements-dev.lock requirements-dev.in

clean:
	rm -rf $(VENV) staticfiles .test-media .pytest_cache .ruff_cache
