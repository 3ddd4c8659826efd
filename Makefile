# The README's commands. Each installs what it needs, so they work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app elearn
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint screenshots browser-deps sso-deps setup-dev-db bench-certificates clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup-dev-db: $(VENV)/.installed
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) courses sync
	$(FLASK) demo seed

## make run: install, migrate, load the courses, create demo accounts, serve on http://127.0.0.1:5000
run: setup-dev-db
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: install the test dependencies and run the whole suite (SQLite; PostgreSQL when TEST_DATABASE_URL is set).
## The browser tests (tests/browser) need Chromium at /usr/bin/chromium and axe-core from npm; without them they are skipped, except in CI.
## The single sign-on tests (tests/sso) run a real OpenID provider (oidc-provider from npm) on Node; without Node they are skipped, except in CI.
test: $(VENV)/.installed-dev browser-deps sso-deps
	@test -x /usr/bin/chromium || echo "note: Chromium is not installed (apt-get install chromium): the browser tests will be skipped"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make lint: ruff (style, imports, bandit's rules), mypy over the code, and lint-imports (the allowed dependencies
## between features and layers, in .importlinter); CI runs it before the tests.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check elearn tests bench migrations config.py wsgi.py worker.py gunicorn.conf.py
	$(BIN)/mypy
	PYTHONPATH=. $(BIN)/lint-imports --no-cache

browser-deps:
	@if command -v npm >/dev/null 2>&1; then npm install --prefix tests/browser --no-audit --no-fund --silent; \
	else echo "note: npm is not installed: the accessibility scans (axe-core) will be skipped"; fi

sso-deps:
	@if command -v npm >/dev/null 2>&1; then npm install --prefix tests/sso/provider --no-audit --no-fund --silent; \
	else echo "note: npm is not installed: the single sign-on tests (a real OpenID provider on Node) will be skipped"; fi

## make screenshots: every screen of the learner's and manager's journeys at 1280 px and 375 px, into docs/screenshots/
screenshots: $(VENV)/.installed-dev
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) instance/elearn.db instance/elearn.db-wal instance/elearn.db-shm instance/mail
