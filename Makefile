# Two commands set up a fresh machine (Python 3.11+): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FIXTURES := $(sort $(wildcard fixtures/*.json))
# With DEBUG off the settings refuse to start without DJANGO_SECRET_KEY. The commands make runs
# on a developer's machine (the tests, the benchmarks, the set-up steps of `make run`) use this
# key when none is set; its prefix makes `check --deploy` flag it. `make serve` never does.
LOCAL_KEY := DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-django-insecure-cptref-make-test-and-bench-only}"
GUNICORN_BIND ?= 127.0.0.1:8000
WEB_CONCURRENCY ?= 3
# axe-core and the Nu Html Checker for the browser tests; npm writes this file on each install.
BROWSER_TOOLS := tests/browser/node_modules/.package-lock.json

.PHONY: run test install migrate loaddata icd10 taxonomies serve bench bench-pages bench-after-save bench-fixed-costs bench-collector bench-check bench-lookup bench-estimate bench-exports bench-icd10 bench-icd10-index bench-search bench-load lint clean

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
	$(LOCAL_KEY) $(BIN)/python manage.py migrate --noinput

loaddata: migrate
	$(LOCAL_KEY) $(BIN)/python manage.py loaddata --keep-newer $(FIXTURES)

## The whole ICD-10-CM tabular list (about 98,500 entries; a few seconds; a re-run changes nothing)
icd10: loaddata
	$(LOCAL_KEY) $(BIN)/python manage.py import_icd10cm

## The whole NUCC provider taxonomy, v25.1, as NUCC publishes it (883 codes; about a second)
NUCC_FILE := fixtures/sources/nucc/nucc_taxonomy_251.csv
taxonomies: loaddata
	$(LOCAL_KEY) $(BIN)/python manage.py import_nucc_taxonomy $(NUCC_FILE)

## Install, create the SQLite database, load the content, ICD-10-CM and the NUCC taxonomy, serve
## on 127.0.0.1:8000
run: icd10 taxonomies
	DJANGO_DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

## Install and run the whole test suite, browser tests included (Chromium, java, npm registry)
test: install $(BROWSER_TOOLS)
	$(LOCAL_KEY) $(BIN)/python -m pytest

## Production: migrate, collect the static files, serve with gunicorn on GUNICORN_BIND (request
## lines up to 8190 bytes, gunicorn's most: a lookup of 200 codes is a long GET)
## (DJANGO_SECRET_KEY and the rest of the environment: README.md § Deployment)
serve: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	exec $(BIN)/gunicorn cptref.wsgi:application --bind "$(GUNICORN_BIND)" \
		--workers "$(WEB_CONCURRENCY)" --limit-request-line 8190 \
		--access-logfile - --error-logfile -

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## Article page vs a minimal view under gunicorn (see bench/README.md)
bench: loaddata
	$(LOCAL_KEY) $(BIN)/python bench/article_vs_minimal.py

## Every page kind against a minimal view of the same HTML, no page cache, each against its target
## (see bench/README.md)
bench-pages: icd10 taxonomies
	$(LOCAL_KEY) $(BIN)/python bench/pages.py

## A reader after an editor's save: each page kind's first request after the content changes,
## against the page cache's answer (see bench/README.md)
bench-after-save: icd10 taxonomies
	$(LOCAL_KEY) $(BIN)/python bench/after_save.py

## What every request pays: each middleware, the context processor, the version read, the CSP
## header (see bench/README.md)
bench-fixed-costs: loaddata
	$(LOCAL_KEY) $(BIN)/python bench/fixed_costs.py

## The garbage collector's time per request, Python's defaults against cptref/collector.py's
bench-collector: loaddata
	$(LOCAL_KEY) $(BIN)/python bench/collector.py

## The payment estimator against a minimal view (target 0.4), and the arithmetic alone (< 50 µs)
ESTIMATE := /codes/00620/estimate/?minutes=176&ps=P3&modifiers=QK+QX&payer=medicare&dos=2026-03-02
bench-estimate: loaddata
	$(LOCAL_KEY) $(BIN)/python bench/article_vs_minimal.py --url "$(ESTIMATE)"
	$(BIN)/python bench/payment.py

## The whole ICD-10-CM downloaded as CSV and XLSX: seconds and peak memory (target: CSV < 3 s, 150 MB)
bench-exports: icd10
	$(LOCAL_KEY) $(BIN)/python bench/exports.py

## ICD-10-CM import time and memory, and index and code page times, on a temporary database
bench-icd10: install
	$(LOCAL_KEY) $(BIN)/python bench/icd10.py

## Every filter, sort and depth of the ICD-10-CM index, in-process (see bench/README.md)
bench-icd10-index: icd10
	$(LOCAL_KEY) $(BIN)/python bench/icd10_index.py

## The claim check: one line and 100 lines, with the full ICD-10-CM set (see bench/README.md)
bench-check: icd10
	$(LOCAL_KEY) $(BIN)/python bench/check.py

## The lookup of a list of codes: 10 codes and 200, with the full ICD-10-CM set (target: 200 codes
## under 100 ms; see bench/README.md)
bench-lookup: icd10 taxonomies
	$(LOCAL_KEY) $(BIN)/python bench/lookup.py

## Word search: server time on SQLite and PostgreSQL, throughput against Datasette (see bench/README.md)
bench-search: install
	$(LOCAL_KEY) $(BIN)/python bench/search.py

## The whole site under 64 connections on PostgreSQL, cached and uncached (see bench/README.md)
bench-load: install
	$(LOCAL_KEY) $(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
