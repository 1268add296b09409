# Anxin — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= anxin-data
# `make run PORT=8080` (and HOST=…) pass --port/--host to `anxin serve`; unset, the
# server's own settings apply (ANXIN_PORT, anxin.toml; default 127.0.0.1:8000).
HOST ?=
PORT ?=

.PHONY: run test install install-test system-deps browser-deps client-deps lint typecheck unit integration browser bench screenshots client clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

.stamp-install-test: pyproject.toml clients/python/pyproject.toml .stamp-install
	$(BIN)/pip install --quiet -e '.[test]' -e clients/python
	@touch $@

install: .stamp-install
install-test: .stamp-install-test system-deps browser-deps client-deps

## Debian packages the tests use: poppler (pdfsig, pdftotext), NSS tools (certutil), chromium.
system-deps:
	@bash scripts/system-deps.sh

## openapi-typescript, typescript, openapi-fetch (npm registry) for clients/typescript.
client-deps:
	@bash scripts/client-deps.sh

## axe-core (npm registry) for the browser tests' accessibility check, in tests/browser/node.
browser-deps:
	@bash scripts/browser-deps.sh

## `anxin` itself is $(BIN)/anxin: `source .venv/bin/activate` puts it on the PATH.
run: install
	$(BIN)/anxin serve --demo --data-dir $(DATA_DIR)$(if $(HOST), --host $(HOST))$(if $(PORT), --port $(PORT))

lint: .stamp-install-test
	$(BIN)/ruff check src tests bench clients/python
	$(BIN)/mypy
	$(BIN)/mypy clients/python/src  # the Python client (its generated part included), strict
	$(BIN)/lint-imports  # the layers of docs/architecture.md ([tool.importlinter])

test: install-test lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Every screen at phone (390x844) and desktop (1280x800) size, into docs/img/ (the README's
## and the docs' pictures): the browser tests, which take them on the way.
screenshots: install-test
	ANXIN_SCREENSHOTS_DIR=docs/img $(BIN)/python -m pytest tests/browser -q -p no:randomly

## The generated parts of the clients (clients/python/src/anxin_client/generated and
## clients/typescript/src/schema.d.ts), from this checkout's OpenAPI document; commit the
## result (clients/python/README.md says why).
client: install-test
	$(BIN)/python clients/python/regenerate.py --schema-out build/openapi.json
	cd clients/typescript && ./node_modules/.bin/openapi-typescript ../../build/openapi.json --output src/schema.d.ts

bench: install-test
	@bash scripts/system-deps.sh --bench
	$(BIN)/python bench/use_gate.py

clean:
	rm -rf $(VENV) .stamp-* .pytest_cache .mypy_cache .ruff_cache
