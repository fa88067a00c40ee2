# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/patronflow

.PHONY: demo test lint install clean

$(BIN)/patronflow: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "patronflow needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/patronflow

demo: install
	$(BIN)/patronflow demo

lint: install
	$(BIN)/ruff check patronflow tests bench
	$(BIN)/ruff format --check patronflow tests bench

# The suite runs on the embedded SQLite default, then again on PostgreSQL where one is
# reachable (always in CI, where its absence is an error rather than a skip).
test: lint
	$(BIN)/pytest
	@if [ -n "$$CI" ] || $(BIN)/python -c 'import psycopg; psycopg.connect("$(PG_TEST_URL:/patronflow=/postgres)").close()' 2>/dev/null; then \
		echo "== the same suite on PostgreSQL ($(PG_TEST_URL))"; \
		PATRONFLOW_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest; \
	else \
		echo "== PostgreSQL is not reachable at $(PG_TEST_URL): skipping the PostgreSQL pass"; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
