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
ASSETS := webapp/static/dist/htmx.min.js
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p webapp/static/dist
	cp node_modules/htmx.org/dist/htmx.min.js $(ASSETS)

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
