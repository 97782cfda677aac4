# The two commands a new machine needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The development server listens on this machine only; `make run HOST=0.0.0.0` opens it to the
# network (a trial on a LAN: the demo accounts and their known password come with it).
HOST ?= 127.0.0.1
# The suite in one process per core (pytest-xdist), its 15 slowest tests listed at the end.
TEST_WORKERS ?= auto
PYTEST_ARGS ?= -n $(TEST_WORKERS) --dist worksteal --durations=15
export FLASK_APP := portal

.PHONY: install install-run lock image run test test-packages lint format pytest clean reliability audit \
	translations catalogs

# Running needs the application's packages only; testing adds the dev tools (pytest, ruff, mypy,
# Playwright: several hundred MB that `make run` does not download). Both install the exact
# versions of the lock files, each file checked against its hash; then the portal itself.
$(BIN)/.installed-run: pyproject.toml requirements.lock
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.installed: pyproject.toml requirements-dev.lock
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(BIN)/.installed-run

install: $(BIN)/.installed
install-run: $(BIN)/.installed-run

## Build the container image from the locked wheels (downloaded first: the build itself needs no PyPI)
CONTAINER ?= docker
IMAGE ?= readiness-portal:latest
BASE ?= python:3.11-slim-bookworm
image: install catalogs
	rm -f wheelhouse/*.whl
	$(BIN)/python scripts/wheelhouse.py requirements.lock wheelhouse $(BIN)/pip
	$(CONTAINER) build --build-arg BASE=$(BASE) -t $(IMAGE) .

## Write the lock files again from pyproject.toml (newest versions that fit; commit both)
lock: install
	$(BIN)/uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 \
		--upgrade --quiet --custom-compile-command "make lock" -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 \
		--upgrade --quiet --custom-compile-command "make lock" --extra dev -c requirements.lock \
		-o requirements-dev.lock
	$(BIN)/uv pip compile requirements-build.in --universal --generate-hashes --python-version 3.11 \
		--upgrade --quiet --custom-compile-command "make lock" -o requirements-build.lock

## Translations (#35): collect the texts to translate from the code and templates
## (translations/messages.pot), bring each language's catalog up to date with them (new texts
## empty, changed ones marked fuzzy: a translator's list), then compile. Commit the .po files.
translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -k N_ --add-location=file \
		--sort-output --no-wrap --project "Readiness Portal" -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-wrap \
		--ignore-obsolete
	$(MAKE) catalogs

## Compile the catalogs (.po -> .mo, not committed): run and test need them. A fuzzy or empty
## translation is left out (the English shows, logged once).
catalogs: install-run
	$(BIN)/pybabel -q compile -d translations

## Start the portal on SQLite with demo accounts at http://127.0.0.1:$(PORT)
run: install-run catalogs
	$(BIN)/flask db upgrade
	$(BIN)/flask kev import --if-empty
	$(BIN)/flask seed-demo
	@if [ "$(HOST)" != 127.0.0.1 ] && [ "$(HOST)" != localhost ]; then \
		echo "WARNING: serving on $(HOST):$(PORT) to the network — a development server with demo accounts whose password is printed above; never on the internet."; fi
	@# The demo's coordinator and admin may look around for 30 days before they must add a
	@# second factor (production: at their first sign-in; MFA_ENROL_GRACE_DAYS).
	PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://127.0.0.1:$(PORT)} \
	MFA_ENROL_GRACE_DAYS=$${MFA_ENROL_GRACE_DAYS:-30} \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## Lint, type-check, then the test suite on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set
## (system packages it needs are installed when run as root; a private Redis is started if none)
# (the system packages are checked before the virtualenv is made: a missing python3-venv is one line)
test: test-packages install lint catalogs
	@prerequisites=$$(scripts/test-prerequisites.sh) || exit 1; eval "$$prerequisites"; \
	trap 'if [ -n "$${PRIVATE_REDIS_PIDFILE:-}" ]; then kill $$(cat "$$PRIVATE_REDIS_PIDFILE"); fi' EXIT INT TERM; \
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS) || exit 1; \
	if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "== again on PostgreSQL: $${TEST_DATABASE_URL} (without the browser and container tests)"; \
		$(BIN)/pytest $(PYTEST_ARGS) $(PG_SKIP) || exit 1; \
	fi

# The second pass, on PostgreSQL, leaves out what does not depend on the database: the browser
# tests drive the same views the other tests call (layout, keyboard, axe), and the container
# test builds the same image against its own database — about 3.5 minutes repeated on this
# 2-core machine. `make test PG_SKIP=` runs them there too.
PG_SKIP ?= --ignore=tests/browser --deselect tests/test_container.py::test_the_image_serves_signs_in_submits_and_renders_a_plan

test-packages:
	@SYSTEM_PACKAGES_ONLY=1 scripts/test-prerequisites.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Load and fault checks (by hand; restarts the local PostgreSQL): every scenario, lost-answer counts
reliability: install
	$(BIN)/python bench/reliability.py --db sqlite
	$(BIN)/python bench/reliability.py --db sqlite --kill-worker
	$(BIN)/python bench/reliability.py --db postgres
	$(BIN)/python bench/reliability.py --db postgres --kill-worker --restart-postgres

## Known-vulnerability audit of the installed dependencies (needs PyPI's JSON API or OSV online)
audit: install
	$(BIN)/pip install --quiet "pip-audit>=2.7"
	$(BIN)/pip-audit --skip-editable --progress-spinner off

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
