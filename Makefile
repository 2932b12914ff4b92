# mlspm — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := build/demo
export MLSPM_DB ?= $(DEMO)/mlspm.duckdb

.PHONY: demo test test-slow check bench venv clean sample fmt eval smoke tui report-png

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Build the sample estate into a fresh database, analyze it and open the workbench on it.
demo: $(STAMP)
	rm -rf $(DEMO)
	$(BIN)/python -m sample_data --out $(DEMO)/estate
	$(BIN)/mlspm --db $(DEMO)/mlspm.duckdb ingest $(DEMO)/estate/logs $(DEMO)/estate/inventory $(DEMO)/estate/reports
	$(BIN)/mlspm --db $(DEMO)/mlspm.duckdb scan $(DEMO)/estate/models
	$(BIN)/mlspm --db $(DEMO)/mlspm.duckdb analyze
	$(BIN)/mlspm --db $(DEMO)/mlspm.duckdb findings --min-severity medium
	@# In a terminal the workbench opens on the estate; piped or in CI the findings above are the result.
	@if [ -t 0 ] && [ -t 1 ] && [ -z "$$CI" ]; then $(BIN)/mlspm --db $(DEMO)/mlspm.duckdb; \
	else echo "Open the workbench with: $(BIN)/mlspm --db $(DEMO)/mlspm.duckdb  (or: make tui)"; fi

## How well the analyzers find the demo estate's planted incidents (recall, false alarms).
eval: $(STAMP)
	test -f $(DEMO)/mlspm.duckdb || $(MAKE) demo
	$(BIN)/mlspm --db $(DEMO)/mlspm.duckdb analyze
	$(BIN)/python -m sample_data.evaluate --db $(DEMO)/mlspm.duckdb --labels $(DEMO)/estate/labels.json

## The real workbench in tmux on the demo database (needs tmux).
smoke: $(STAMP)
	test -f $(DEMO)/mlspm.duckdb || $(MAKE) demo
	scripts/tui_smoke.sh $(DEMO)/mlspm.duckdb

## Open the workbench on the demo database.
tui: $(STAMP)
	test -f $(DEMO)/mlspm.duckdb || $(MAKE) demo
	$(BIN)/mlspm --db $(DEMO)/mlspm.duckdb

## Lint, types, layering, then the whole test suite.
test: check
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

## The HTML report of the demo estate, rendered to build/report/report.png by headless Chromium.
report-png: $(STAMP)
	test -f $(DEMO)/mlspm.duckdb || CI=1 $(MAKE) demo
	mkdir -p build/report
	$(BIN)/mlspm --db $(DEMO)/mlspm.duckdb report --format html -o build/report/report.html
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "chromium is missing: install it with 'sudo apt-get install chromium'" >&2; exit 1; fi; \
	fi
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,4000 \
		--screenshot=build/report/report.png file://$(CURDIR)/build/report/report.html
	@echo "wrote build/report/report.png (from build/report/report.html)"
