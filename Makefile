# Self-documenting Makefile: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
export R_LIBS_USER := $(CURDIR)/.r-lib
export MPLBACKEND := Agg

.PHONY: help setup lock lint report test test-fast test-slow bench factsheets clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

setup: ## Install R packages (apt), the Python venv and the local R shim; a no-op when done
	@bash scripts/bootstrap.sh

lock: ## Re-resolve requirements.lock (hashes, PyPI) from the pins in pyproject.toml
	@$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu \
	  --custom-compile-command "make lock" --quiet --output-file requirements.lock

lint: setup ## Lint and format-check src/, tests/, notebooks/, benchmarks/ with ruff (pyproject.toml)
	@$(VENV)/bin/ruff check --no-cache src tests notebooks benchmarks
	@$(VENV)/bin/ruff format --check --no-cache src tests notebooks benchmarks

report: setup ## Build the report (HTML + PDF) from data/raw or the synthetic twin
	@$(VENV)/bin/compendium build

# The fast tier runs on every core (pytest-xdist; `auto`: one process per core), module by module
# (--dist loadscope) so that a module's fixtures are computed once; `WORKERS=0` runs it in one
# process. The build tier (marker `build`, tests/conftest.py) runs in one process: its tests
# share one session build and start clusters, browsers and builds of their own.
WORKERS ?= auto
FAST_TIER := -m 'not slow and not benchmark and not build' -n $(WORKERS) --dist loadscope
BUILD_TIER := -m 'build and not slow and not benchmark'

test: setup lint ## Lint, then the whole suite: the fast tier on every core, then the build tier (what CI runs)
	@status=0; \
	$(PY) -m pytest $(FAST_TIER) || status=$$?; \
	$(PY) -m pytest $(BUILD_TIER) || status=$$?; \
	exit $$status

test-fast: setup lint ## Day-to-day tier: unit, property and contract tests, no full builds, on every core (see README)
	@$(PY) -m pytest $(FAST_TIER)

test-slow: setup ## Run the slow statistical tests (coverage simulations)
	@$(VENV)/bin/python -m pytest -m slow

bench: setup ## Run the benchmarks in benchmarks/
	@$(VENV)/bin/python benchmarks/run_all.py

factsheets: setup ## Build one factsheet per location
	@$(VENV)/bin/compendium factsheets

clean: ## Remove generated files (keeps the venv)
	rm -rf build reports/_output data/processed/*.parquet data/processed/*.csv data/processed/*.json
