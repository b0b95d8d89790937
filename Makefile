# pbx: `make up` runs the phone system, `make test` runs every test tier.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test deps system-deps venv asterisk vendor-js unit integration e2e lint clean

up: deps
	$(BIN)/pbx up

test: deps lint unit integration e2e

deps: system-deps venv asterisk vendor-js

# Debian packages: SIPp phones, PostgreSQL for the integration tier, mmdebstrap to build
# the Asterisk root (skipped when the host has Asterisk installed), npm for the softphone's
# SIP library, Chromium for the softphone's end-to-end test.
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

# The browser softphone's SIP library (JsSIP, pinned in softphone/package-lock.json),
# bundled into pbx/api/static/vendor/ with npm; skipped when already built.
vendor-js: system-deps
	@bash tools/vendor-js.sh

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
