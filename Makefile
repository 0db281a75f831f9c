# koki: the front door. `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# A Python >= 3.12: pyenv honours .python-version; otherwise the first fitting interpreter.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && echo $$p && break; done)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt bench messages screenshots clean install install-dev deploy-check faults

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python >= 3.12 is needed (see .python-version)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exactly the versions, and by hash exactly the files, of the lock files (docs/security-privacy.md
# says how to renew them); then koki itself, whose dependencies are all in the lock already.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml requirements-dev.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The database task backend and its worker, as in production: reminders wait for their time.
run: export DJANGO_TASKS_BACKEND ?= database
# Links in mails and calendars point to where this server listens.
run: export KOKI_SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py load_koki_demo
	$(BIN)/python manage.py ensure_demo_organiser
	@echo "Serving http://$(HOST):$(PORT)/ with a worker for mails and reminders (Ctrl+C stops both)"
	$(BIN)/python manage.py koki_worker --no-startup-delay -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run -v 0
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install-dev
	$(BIN)/python manage.py makemessages -l de -l en --no-obsolete --no-location --ignore=.venv --ignore=tests --ignore=bench --ignore=docs
	$(BIN)/python locale/make_english.py
	$(BIN)/python manage.py compilemessages --ignore=.venv

# bench/run.py (pages, registration rush, mail queue), then bench/join.py (the join-link rush),
# each on a stack of its own; fails when either of them does, after both have run.
bench: install-dev
	@command -v wrk >/dev/null || { echo "make bench needs wrk (apt-get install wrk)."; exit 1; }
	$(BIN)/python bench/run.py; status=$$?; $(BIN)/python bench/join.py && exit $$status

# The files in deploy/ with the real tools; fails instead of skipping when one is missing.
deploy-check: install-dev
	KOKI_REQUIRE_DEPLOY_CHECKS=1 $(BIN)/pytest tests/deploy $(PYTEST_ARGS)

# The production stack under faults (docs/faults.md): its own PostgreSQL, Redis and mail server.
faults: install-dev
	KOKI_FAULT_TESTS=1 $(BIN)/pytest tests/faults $(PYTEST_ARGS)

screenshots: install-dev
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
