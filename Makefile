# Comptoir — the two commands: `make demo` and `make test`. Each sets up what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt pyproject.toml | cksum | cut -d' ' -f1)
EMBEDDED = eval "$$($(PY) -m comptoir.embedded)"
# `make airflow`: the UI's address and port (`make airflow HOST=0.0.0.0 PORT=8081`); set
# on the command line only: a HOST or PORT of the environment is not taken.
HOST = 127.0.0.1
PORT = 8080

.PHONY: help install demo test test-servers airflow bench bench-retail bench-editions lint clean

help: ## This list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing pinned packages into $(VENV) (first time: a few minutes)"
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		-r requirements.txt -r requirements-dev.txt
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## Create .venv and install the pinned packages

demo: $(STAMP) ## Fill the SQLite dossier with demo data and run the nightly batch through Airflow
	@$(EMBEDDED) && $(VENV)/bin/comptoir nightly --demo

test: $(STAMP) test-servers ## Run the whole test suite
	@$(PY) -m pytest

test-servers: ## Install the servers and tools the tests use (sshd, Dovecot, poppler, Chromium)
	@bash scripts/ensure-test-servers.sh

airflow: $(STAMP) ## Start Airflow on this project until Ctrl-C: UI on http://localhost:8080 (HOST=, PORT=)
	@$(EMBEDDED) && $(VENV)/bin/comptoir db init >/dev/null && \
		exec $(VENV)/bin/comptoir airflow --host '$(HOST)' --port '$(PORT)'

bench: $(STAMP) ## Run the benchmarks (bench/)
	@$(EMBEDDED) && for b in bench/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

bench-retail: $(STAMP) ## Run the retail task types' benchmark only (bench/retail.py)
	@$(EMBEDDED) && $(PY) bench/retail.py

bench-editions: $(STAMP) ## Run the editions' benchmark only (bench/editions.py)
	@$(EMBEDDED) && $(PY) bench/editions.py

lint: $(STAMP) ## ruff
	@$(VENV)/bin/ruff check .

clean: ## Remove the data home (var/) — the dossier, Airflow home, spools, reports
	rm -rf var
