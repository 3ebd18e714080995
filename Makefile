# Two commands set up a fresh machine (Python 3.11+): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FIXTURES := $(sort $(wildcard fixtures/*.json))
# axe-core and the Nu Html Checker for the browser tests; npm writes this file on each install.
BROWSER_TOOLS := tests/browser/node_modules/.package-lock.json

.PHONY: run test install migrate loaddata icd10 bench bench-icd10 lint clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Only when the lock file changed. --ignore-scripts: vnu-jar's install script would download a
# Java runtime; the tests run the jar with the machine's java.
$(BROWSER_TOOLS): tests/browser/package-lock.json
	npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

loaddata: migrate
	$(BIN)/python manage.py loaddata $(FIXTURES)

## The whole ICD-10-CM tabular list (about 98,500 entries; a few seconds; a re-run changes nothing)
icd10: loaddata
	$(BIN)/python manage.py import_icd10cm

## Install, create the SQLite database, load the content and ICD-10-CM, serve on 127.0.0.1:8000
run: icd10
	DJANGO_DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

## Install and run the whole test suite, browser tests included (Chromium, java, npm registry)
test: install $(BROWSER_TOOLS)
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## Article page vs a minimal view under gunicorn (see bench/README.md)
bench: loaddata
	$(BIN)/python bench/article_vs_minimal.py

## ICD-10-CM import time and memory, and index and code page times, on a temporary database
bench-icd10: install
	$(BIN)/python bench/icd10.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
