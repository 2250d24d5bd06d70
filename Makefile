# IA Santé — the two commands: `make run` (demo app on http://127.0.0.1:8000) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench setup system-deps db demo vendor lint clean

run: setup demo
	$(BIN)/iasante serve

test: setup lint
	$(BIN)/python -m pytest -q

bench: setup
	@set -e; for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

setup: system-deps $(STAMP) db

system-deps:
	@bash scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test]"
	@touch $(STAMP)

db: $(STAMP)
	$(BIN)/iasante db upgrade

demo: db
	$(BIN)/iasante demo load

vendor:
	cd src/iasante/web && npm install --no-save --no-audit --no-fund \
	  && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/ \
	  && cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css static/vendor/swagger/ \
	  && rm -rf node_modules package-lock.json

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var bench-results
