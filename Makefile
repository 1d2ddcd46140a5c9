# Viktigt. `make run` serves the app on http://127.0.0.1:8000; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export VIKTIGT_INSTANCE ?= $(CURDIR)/instance

.PHONY: run test lint format install db model translations browser-deps bench clean

$(BIN)/activate: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(BIN)/activate

install: $(BIN)/activate

survey/translations/en/LC_MESSAGES/messages.mo: survey/translations/en/LC_MESSAGES/messages.po | install
	$(BIN)/pybabel compile --use-fuzzy -d survey/translations

translations: install ## re-extract messages and compile the catalogues
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o survey/translations/messages.pot .
	$(BIN)/pybabel update -i survey/translations/messages.pot -d survey/translations --width 100
	$(BIN)/pybabel compile -d survey/translations

db: install survey/translations/en/LC_MESSAGES/messages.mo
	mkdir -p $(VIKTIGT_INSTANCE)
	$(BIN)/viktigt db upgrade
	$(BIN)/viktigt load-surveys

model: install ## train the classifier when no artefact exists
	@if ls nlp_models/artifacts/*.joblib >/dev/null 2>&1; then \
		echo "Classifier artefact present: $$(ls -t nlp_models/artifacts/*.joblib | head -1)"; \
	else $(BIN)/viktigt train; fi

run: db model
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

browser-deps: ## Debian's Chromium for the accessibility tests
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		else echo "Cannot install chromium without root: browser tests will be skipped" >&2; fi; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install survey/translations/en/LC_MESSAGES/messages.mo browser-deps model
	$(MAKE) --no-print-directory lint
	@url=$$(scripts/test-postgres.sh | tail -n 1) || { echo "PostgreSQL could not be started; see above." >&2; exit 1; }; \
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$$url} $(BIN)/pytest

bench: db model
	$(BIN)/python bench/submit.py
	$(BIN)/python bench/classify.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
