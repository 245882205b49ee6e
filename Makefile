# The two commands a newcomer needs: `make demo` and `make test` (README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
NPM ?= npm
VENDOR := static/vendor
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock

.PHONY: demo test faults install install-dev lock assets lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs are pinned, with hashes, by the lock files (`make lock` writes them from
# pyproject.toml); the project itself goes in editable, without resolving anything more,
# which also compiles the impact engine's loops (setup.py, dependencies/impact/_kernel.pyx).
# Reinstall only when a lock file or those loops change.
KERNEL = setup.py dependencies/impact/_kernel.pyx

$(VENV)/.installed: $(LOCK) $(KERNEL) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) $(KERNEL) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

## lock: after adding or changing a dependency in pyproject.toml, regenerate both lock files
## (`make lock UPGRADE=1` also moves every pin to the newest version allowed).
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	$(if $(UPGRADE),--upgrade)
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'pip-tools>=7.4'
	$(PIP_COMPILE) --output-file $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint $(LOCK) --output-file $(DEV_LOCK) pyproject.toml

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## assets: the map's drawing library (Cytoscape.js + dagre layout) and the reports' charts
## (Chart.js), installed from the committed package-lock.json and served from static/vendor/
## (never from a CDN). `npm ci`
## also puts the browser tests' axe-core in node_modules/; it is not copied to static/.
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
	# The script names its source map; collectstatic's manifest fails without it.
	cp node_modules/cytoscape-dagre/dist/cytoscape-dagre.min.js.map $(VENDOR)/
	cp node_modules/cytoscape/LICENSE $(VENDOR)/cytoscape.LICENSE
	cp node_modules/cytoscape-dagre/LICENSE $(VENDOR)/cytoscape-dagre.LICENSE
	# The reports' charts (Chart.js), with the source map its last line names.
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map $(VENDOR)/
	cp node_modules/chart.js/LICENSE.md $(VENDOR)/chart.js.LICENSE
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
