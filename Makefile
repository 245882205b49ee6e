# The two commands a newcomer needs: `make demo` and `make test` (README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
NPM ?= npm
VENDOR := static/vendor

.PHONY: demo test faults install install-dev assets lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the declared dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## assets: the map's drawing library (Cytoscape.js + dagre layout), installed from the
## committed package-lock.json and served from static/vendor/ (never from a CDN).
assets: $(VENDOR)/.installed

# Laid anew each time (and again when this recipe changes), so static/vendor/ holds exactly
# what collectstatic's manifest needs: a minified file's `sourceMappingURL` must resolve,
# or the strict manifest storage refuses the file (so the map ships with its .map).
$(VENDOR)/.installed: package.json package-lock.json Makefile
	$(NPM) ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)
	cp node_modules/cytoscape/dist/cytoscape.min.js $(VENDOR)/
	cp node_modules/cytoscape-dagre/dist/cytoscape-dagre.min.js $(VENDOR)/
	cp node_modules/cytoscape-dagre/dist/cytoscape-dagre.min.js.map $(VENDOR)/
	cp node_modules/cytoscape/LICENSE $(VENDOR)/cytoscape.LICENSE
	cp node_modules/cytoscape-dagre/LICENSE $(VENDOR)/cytoscape-dagre.LICENSE
	touch $@

## demo: install, migrate, seed the demo story and run the app with a worker and beat.
demo: install assets
	PORT=$(PORT) bash scripts/demo.sh

## test: lint, checks and the whole suite (PostgreSQL and Redis when DATABASE_URL/REDIS_URL are set).
test: export SECRET_KEY ?= insecure-key-for-tests-only
test: export CONNECTOR_ALLOW_PRIVATE_NETWORKS ?= 1
test: install-dev assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

## faults: the fault tests (tests/faults/): real services stopped and started under the app.
faults: export SECRET_KEY ?= insecure-key-for-tests-only
faults: install-dev
	$(BIN)/pytest -m faults tests/faults

lint: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles db.sqlite3 .pytest_cache
