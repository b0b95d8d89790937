# pbx: `make up` runs the phone system, `make test` runs every test tier.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test deps system-deps venv asterisk unit integration e2e lint clean

up: deps
	$(BIN)/pbx up

test: deps lint unit integration e2e

deps: system-deps venv asterisk

# Debian packages: SIPp phones, PostgreSQL for the integration tier, mmdebstrap to build
# the Asterisk root (skipped when the host has Asterisk installed).
system-deps:
	@bash tools/system-deps.sh

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

asterisk: venv
	$(BIN)/pbx asterisk bootstrap

lint: venv
	$(BIN)/mypy
	$(BIN)/ruff check pbx cli stt tests

unit: venv
	$(BIN)/python -m pytest -q tests/unit

integration: venv
	$(BIN)/python -m pytest -q tests/integration

e2e: venv asterisk
	$(BIN)/python -m pytest -q tests/e2e

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
