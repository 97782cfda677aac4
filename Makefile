# The two commands a new machine needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := portal

.PHONY: install run test lint format pytest clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## Start the portal on SQLite with demo accounts at http://127.0.0.1:$(PORT)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## Lint, type-check, then the test suite on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set
test: install lint
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "== again on PostgreSQL: $${TEST_DATABASE_URL}"; \
		$(BIN)/pytest; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
