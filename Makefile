# asbhub task runner. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DB ?= sqlite:///asbhub.db
HOST ?= 127.0.0.1
PORT ?= 8000
# Two pytest workers (CI has two cores); each test file stays on one worker so its module
# fixtures are built once. `make test PYTEST_ARGS=...` replaces this, e.g. `-n 0 -x` to debug.
PYTEST_ARGS ?= -n 2 --dist loadfile

.DEFAULT_GOAL := check
.PHONY: help check run test db-check lint typecheck format demo bench docs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

check: test ## the default: tests, then lint and types

run: $(VENV)/.installed ## create the venv, build the demo database and serve on http://127.0.0.1:8000
	$(BIN)/asbhub demo --db $(DB)
	ASBHUB_DATABASE_URL=$(DB) $(BIN)/asbhub serve --host $(HOST) --port $(PORT)

demo: $(VENV)/.installed ## (re)build the demo database only
	$(BIN)/asbhub demo --db $(DB)

test: $(VENV)/.dev-installed ## the whole suite (SQLite, PostgreSQL, browser), then ruff and mypy
	@# Without ASBHUB_TEST_POSTGRES_URL a throw-away cluster is started and stopped around pytest,
	@# so the PostgreSQL half runs on any machine (the system's server, else the pgserver wheel).
	@# Bytecode caches are written even where the environment turns them off: each worker, and
	@# each child process a test starts, would otherwise compile (and assertion-rewrite) anew.
	@if [ -z "$${ASBHUB_TEST_POSTGRES_URL:-}" ]; then \
	  eval "$$(bash .ci/pg-start)" || exit 1; \
	  trap 'bash .ci/pg-stop' EXIT; \
	  echo "PostgreSQL for tests: throw-away cluster at $$ASBHUB_TEST_POSTGRES_URL"; \
	fi; \
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

db-check: $(VENV)/.dev-installed ## migrate fresh SQLite and PostgreSQL databases and compare them with the models
	bash scripts/db-check

lint: $(VENV)/.dev-installed ## ruff only
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.dev-installed ## mypy only
	$(BIN)/mypy

format: $(VENV)/.dev-installed ## apply ruff's formatting and fixes
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(VENV)/.dev-installed ## run every benchmark and rewrite docs/benchmarks.md figures
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

docs: $(VENV)/.dev-installed ## regenerate docs/cli.md from the Typer app
	$(BIN)/typer asbhub.cli utils docs --name asbhub --output docs/cli.md

clean: ## remove the venv and the demo database
	rm -rf $(VENV) asbhub.db asbhub.db-wal asbhub.db-shm
