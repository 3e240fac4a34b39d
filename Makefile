# make run   - set up a virtual environment from nothing and run the main job (SQLite, local corpus)
# make test  - set up the same environment and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint clean demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/newswatch db upgrade
	$(BIN)/newswatch seeds import
	$(BIN)/newswatch run

# the suite runs on two cores (pytest-xdist); each test file stays on one worker (--dist loadfile), so a
# module's fixtures are built once; PYTEST_XDIST= runs it in one process
PYTEST_XDIST ?= -n auto --maxprocesses=2 --dist loadfile
test: $(STAMP)
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# the offline demo: two replayed runs with a change in between, signed webhooks to a local receiver
demo: $(STAMP)
	DEMO_BIN=$(abspath $(BIN)) bash scripts/demo.sh

# the benchmark suite (not a test): prints a table and writes bench/RESULTS.md; see bench/README.md
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check crawler monitor storage newswatch tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
