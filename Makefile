# Clauses & Label — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Local defaults (override in the environment). Production never uses these.
export DEBUG ?= 1
PGHOST ?= 127.0.0.1
PGUSER ?= postgres

.PHONY: install run test lint format migrate seed worker bench load backup restore lock check-deploy clean

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
# http://$(HOST):$(PORT) unless the environment sets it: the demo's attestations too, issued
# by seed_demo before the server starts.
run: migrate
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(PY) manage.py seed_demo
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

# Performance bench (bench/README.md): seeds once a national-scale dataset in a dedicated
# PostgreSQL database (created if missing; reused by the next runs), measures every page, the
# PDF, the exports and the imports with the production settings, writes bench/results.json.
# Quick run: make bench BENCH_ARGS="--echelle 0.05".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clauses_bench
BENCH_ENV = DEBUG=0 DATABASE_URL=$(BENCH_DATABASE_URL) \
	SECRET_KEY=bench-seulement-jamais-en-production-0123456789-abcdefghijklmnop \
	ALLOWED_HOSTS=testserver,127.0.0.1,localhost SECURE_SSL_REDIRECT=0 \
	SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 MFA_OBLIGATOIRE=1 \
	STATIC_ROOT=$(CURDIR)/staticfiles MEDIA_ROOT=$(CURDIR)/bench/media
bench: install
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(BENCH_ENV) $(PY) manage.py bench $(BENCH_ARGS)

# Load test (bench/README.md): gunicorn (2 workers) and the task worker on 127.0.0.1 against
# the bench database, then 50 Locust users of every role for 60 s, a month batch of
# attestations started halfway; writes bench/load.json. Needs locust (requirements-dev.lock).
LOAD_PORT ?= 8790
load: install
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(BENCH_ENV) $(PY) manage.py bench --remplir-seulement $(BENCH_ARGS)
	$(BENCH_ENV) MFA_OBLIGATOIRE=0 PY=$(PY) PORT=$(LOAD_PORT) bench/load.sh

# Backup of the PostgreSQL database of DATABASE_URL (custom format, timestamped, in backups/)
# and restore of a backup into a new database: make restore FICHIER=backups/… CIBLE=clauses_copie
# (bench/README.md; PGHOST and PGUSER say which server).
SAUVEGARDES ?= backups
backup:
	@case "$(DATABASE_URL)" in postgres*) ;; *) echo "DATABASE_URL doit désigner la base PostgreSQL à sauvegarder (postgres://…)"; exit 2;; esac
	@mkdir -p $(SAUVEGARDES)
	pg_dump --format=custom --no-owner --file=$(SAUVEGARDES)/clauses-$$(date +%Y%m%d-%H%M%S).dump "$(DATABASE_URL)"
	@ls -1t $(SAUVEGARDES)/*.dump | head -1

restore:
	@test -n "$(FICHIER)" -a -n "$(CIBLE)" || { echo "usage : make restore FICHIER=backups/….dump CIBLE=nom_de_la_nouvelle_base"; exit 2; }
	createdb --host=$(PGHOST) --username=$(PGUSER) "$(CIBLE)"
	pg_restore --no-owner --exit-on-error --host=$(PGHOST) --username=$(PGUSER) --dbname="$(CIBLE)" "$(FICHIER)"

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
