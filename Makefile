# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DATABASE_URL ?= sqlite:///instance/motcua.sqlite

.PHONY: run test lint services bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/motcua init --demo
	$(BIN)/motcua deploy bpmn dmn
	$(BIN)/motcua serve --host 127.0.0.1 --port 5000

services:
	bash scripts/services.sh

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) services lint
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/motcua bench

clean:
	rm -rf $(VENV) instance *.egg-info
