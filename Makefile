# Two entry points for a fresh machine: `make figures` and `make test`.
# Both create the virtual environment in $(VENV) on first use and reinstall
# the package whenever pyproject.toml changes.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all

.PHONY: setup system-data figures smoke test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable ".[test,dev]"
	@$(MAKE) --no-print-directory system-data
	touch $(STAMP)

# Fashion-MNIST from Debian's dataset-fashion-mnist, where apt is available;
# elsewhere the pipeline falls back to a local copy or torchvision's download.
system-data:
	@if [ -d /usr/share/datasets/fashion-mnist ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo="sudo -n"; fi; \
	{ $$sudo apt-get update -qq && \
	  $$sudo apt-get install -y -qq dataset-fashion-mnist; } >/dev/null 2>&1 \
	|| echo "note: could not install dataset-fashion-mnist with apt; skipped"

figures: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

smoke: $(STAMP)
	$(BIN)/snakemake --configfile config/smoke.yaml --cores $(CORES)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests workflow notebooks benchmarks
	$(BIN)/ruff check src tests workflow notebooks benchmarks
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

clean:
	rm -rf results logs .snakemake
