# Two commands on a fresh machine: `make run` and `make test`. Needs only Python 3.11, make, git.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# uv must use the machine's Python 3.11 and never download an interpreter of its own.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)

.PHONY: run install install-dev migrate seed test lint format typecheck bench bench-pages bench-pages-ci bench-prepared bench-load bench-live bench-documents screenshots vsix clean help

help:
	@echo "make run    set up (venv, locked deps, SQLite, demo data) and serve on http://$(HOST):$(PORT)"
	@echo "make test   install test deps and run lint, types and the whole suite"
	@echo "make bench  run the benchmarks (bench/README.md)"
	@echo "make bench-load  a bounded mixed load on gunicorn, Celery, PostgreSQL, Redis (bench/README.md)"
	@echo "make bench-live  200 sockets on one board: delivery latency and server memory (bench/README.md)"
	@echo "make bench-documents  50 editors typing into one document: latency, memory, convergence"
	@echo "make bench-prepared  prepared statements on vs off, interleaved: a ratio (bench/README.md)"
	@echo "make vsix   package the VS Code extension (docs/editor.md); needs node and npm"

$(UV):
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)
	$(UV) sync --frozen --inexact --no-dev --group cli

install-dev: $(UV)
	$(UV) sync --frozen

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "Alignment is starting on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/vulture

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install-dev
	$(VENV)/bin/mypy .

# pytest exits 5 when it collects nothing; that is a failure of the suite, not a pass.
test: lint typecheck
	$(PY) manage.py makemigrations --check --dry-run > /dev/null || \
		(echo "Model changes without a migration: run manage.py makemigrations" && exit 1)
	$(VENV)/bin/pytest -n $${PYTEST_WORKERS:-auto} --dist loadgroup $(PYTEST_ARGS); rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; fi; exit $$rc

SHOTS_PORT ?= 8765
SHOTS ?= /accounts/login/=login /w/acme/=workspace-home
# Docs screenshots of the demo company with the system Chromium (docs/development.md).
screenshots: install-dev seed
	@$(PY) manage.py runserver 127.0.0.1:$(SHOTS_PORT) --noreload >/dev/null 2>&1 & pid=$$!; \
	trap 'kill $$pid' EXIT; \
	DOCS_SCREENSHOTS=1 $(PY) -m tests.browser.screenshots --base-url http://127.0.0.1:$(SHOTS_PORT) \
		--login priya@acme.example:demo-password $(SHOTS)
	# The browser journeys capture the feature pages of docs/ as they go.
	DOCS_SCREENSHOTS=1 $(VENV)/bin/pytest -q -p no:xdist -m browser

bench: install-dev
	$(PY) -m bench.run
	$(PY) -m bench.pages
	$(PY) -m bench.forecast

# Pages and API alone (bench/pages.py); -ci: small sizes, checks query counts and reachability.
bench-pages: install-dev
	$(PY) -m bench.pages

bench-pages-ci: install-dev
	BENCH_PAGES=ci $(PY) -m bench.pages

# Prepared statements on vs off, interleaved (bench/prepared_ab.py): a ratio, not a time.
bench-prepared: install-dev
	$(PY) -m bench.prepared_ab

# The VS Code extension as a .vsix, with the locked @vscode/vsce (docs/editor.md).
VSIX := editors/vscode/alignment-vscode.vsix
vsix:
	@command -v npm >/dev/null || (echo "make vsix needs Node.js 20+ and npm (apt-get install nodejs npm)" && exit 1)
	cd editors/vscode && npm ci --no-audit --no-fund && npm run --silent package
	@echo "Built $(VSIX): install it with code --install-extension $(VSIX)"

# Starts, loads (loopback only, bounded in time) and stops gunicorn, a Celery worker, a database
# and a Redis database of its own; needs PostgreSQL and Redis answering on 127.0.0.1.
bench-load: install-dev
	$(PY) -m bench.load $(BENCH_LOAD_ARGS)

# Live pages (bench/live.py): SOCKETS (200) on one board; BENCH_LIVE=ci for the small run.
bench-live: install-dev
	$(PY) -m bench.live

# Documents (bench/documents.py): EDITORS (50) typing into one document; BENCH_DOCUMENTS=ci small.
bench-documents: install-dev
	$(PY) -m bench.documents

clean:
	rm -rf $(VENV) $(TOOLS) staticfiles .mypy_cache .ruff_cache test-artifacts
