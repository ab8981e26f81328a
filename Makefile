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

test: setup lint ## Lint, then run the test suite (unit, property, back tests, notebooks, end-to-end)
	@$(VENV)/bin/python -m pytest

# Processes for the fast tier (pytest-xdist; `auto`: one per core). Tests go to the workers module
# by module (--dist loadscope), so a module's fixtures are computed once.
# `make test-fast WORKERS=0` runs it in one process.
WORKERS ?= auto

test-fast: setup lint ## Day-to-day tier: unit, property and contract tests, no full builds, on every core (see README)
	@$(VENV)/bin/python -m pytest -m 'not slow and not benchmark and not build' -n $(WORKERS) --dist loadscope

test-slow: setup ## Run the slow statistical tests (coverage simulations)
	@$(VENV)/bin/python -m pytest -m slow

bench: setup ## Run the benchmarks in benchmarks/
	@$(VENV)/bin/python benchmarks/run_all.py

factsheets: setup ## Build one factsheet per location
	@$(VENV)/bin/compendium factsheets

clean: ## Remove generated files (keeps the venv)
	rm -rf build reports/_output data/processed/*.parquet data/processed/*.csv data/processed/*.json
