# Two entry points for a fresh machine: `make figures` and `make test`.
# Both create the virtual environment in $(VENV) on first use and reinstall
# the package whenever pyproject.toml changes.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all

.PHONY: setup figures smoke test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable ".[test,dev]"
	touch $(STAMP)

figures: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

smoke: $(STAMP)
	$(BIN)/snakemake --configfile config/smoke.yaml --cores $(CORES)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests workflow
	$(BIN)/ruff check src tests workflow
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

clean:
	rm -rf results logs .snakemake
