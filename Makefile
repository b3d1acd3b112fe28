# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DATABASE_URL ?= sqlite:///instance/motcua.sqlite

.PHONY: run test lint services bench clean assets translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Browser code comes from npm (package.json + lock) and is copied, never committed.
DIST := webapp/static/dist
ASSETS := $(DIST)/.copied
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(DIST)/bpmn-js $(DIST)/dmn-js
	cp node_modules/htmx.org/dist/htmx.min.js $(DIST)/
	# The analysts' studio: the prebuilt distro bundles of bpmn-js and dmn-js, with their styles and fonts.
	cp node_modules/bpmn-js/LICENSE node_modules/bpmn-js/dist/bpmn-modeler.production.min.js \
	   node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(DIST)/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets/. $(DIST)/bpmn-js/
	cp node_modules/dmn-js/LICENSE node_modules/dmn-js/dist/dmn-modeler.production.min.js $(DIST)/dmn-js/
	cp -r node_modules/dmn-js/dist/assets/. $(DIST)/dmn-js/
	touch $@

assets: $(ASSETS)

# The .po catalogues are committed; the compiled .mo files are built here (the app also compiles a stale one).
translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d webapp/translations

run: $(STAMP) assets translations
	$(BIN)/motcua init --demo
	$(BIN)/motcua deploy bpmn dmn
	$(BIN)/motcua serve --host 127.0.0.1 --port 5000

services:
	bash scripts/services.sh

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) services lint assets translations
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/motcua bench

clean:
	rm -rf $(VENV) instance *.egg-info node_modules webapp/static/dist
