# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/patronflow

.PHONY: demo test lint install system-packages lock clean

# The locked versions of every dependency (and of pip and setuptools), then patronflow itself;
# again whenever the lock or pyproject.toml changes.
$(BIN)/patronflow: pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "patronflow needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(BIN)/patronflow

# Debian's chromium and spamassassin, which the tests run.
system-packages:
	@sh scripts/system-packages.sh

demo: install
	$(BIN)/patronflow demo

# Style, and the floor plan: each stage imports only the stages before it, and no module
# imports itself back (the contracts in .importlinter).
lint: install
	$(BIN)/ruff check patronflow tests bench
	$(BIN)/ruff format --check patronflow tests bench
	$(BIN)/lint-imports

# The suite runs on the embedded SQLite default, then again on PostgreSQL where one is
# reachable (always in CI, where its absence is an error rather than a skip).
test: lint system-packages
	$(BIN)/pytest
	@if [ -n "$$CI" ] || $(BIN)/python -c 'import psycopg; psycopg.connect("$(PG_TEST_URL:/patronflow=/postgres)").close()' 2>/dev/null; then \
		echo "== the same suite on PostgreSQL ($(PG_TEST_URL))"; \
		PATRONFLOW_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest; \
	else \
		echo "== PostgreSQL is not reachable at $(PG_TEST_URL): skipping the PostgreSQL pass"; \
	fi

# The newest versions that pyproject.toml allows (with the demo, test and bench extras), resolved
# for every platform, into $(LOCK): run `make test` and commit both.
lock:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	printf 'pip\nsetuptools>=69\n' | $(BIN)/uv pip compile --quiet --universal --upgrade \
		--extra demo --extra test --extra bench --annotation-style line \
		--custom-compile-command 'make lock' pyproject.toml - -o $(LOCK)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
