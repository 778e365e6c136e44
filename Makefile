# portkey-runs — one command per job; every target bootstraps what it needs.
#   make demo       the main job against the embedded reference server
#   make test       make check, then every test (with overlay coverage)
#   make generate   regenerate generated/ from openapi.yaml
#   make check      spec validation + lint, generated/ drift, ruff, mypy --strict
#   make spec-diff  semantic diff of openapi.yaml against BASE (default: origin/main or the merge base)
#   make bench      benchmarks (ratios measured side by side)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
UV_VERSION := 0.13.8
BOOT := .venv-uv
UV := $(BOOT)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced
NODE := node_modules/.installed
BASE ?=

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help venv node demo test check generate spec-validate spec-lint spec-examples drift lint typecheck spec-diff version-policy bench clean

help:
	@sed -n '2,8p' Makefile | sed 's/^# *//'

# --- bootstrap -------------------------------------------------------------------------------
$(UV):
	$(PYTHON_BOOT) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --all-extras --quiet
	@touch $@

$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

venv: $(SYNCED)
node: $(NODE)

# --- jobs ------------------------------------------------------------------------------------
demo: $(SYNCED)
	$(BIN)/portkey-runs demo

generate: $(SYNCED)
	$(PY) -m tools.generate

spec-validate: $(SYNCED)
	$(PY) -m tools.validate_spec openapi.yaml

spec-lint: $(NODE)
	node_modules/.bin/redocly lint openapi.yaml --config redocly.yaml --format=stylish

spec-examples: $(SYNCED)
	$(PY) -m tools.validate_spec --examples openapi.yaml

drift: $(SYNCED)
	$(PY) -m tools.generate --check

lint: $(SYNCED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ruff check --isolated --no-cache generated
	$(BIN)/ruff format --isolated --no-cache --check generated

typecheck: $(SYNCED)
	$(BIN)/mypy --strict generated/portkey_runs_api overlay tools tests benchmarks

version-policy: $(SYNCED)
	$(PY) -m tools.specdiff.version_policy $(if $(BASE),--base $(BASE),)

# every step runs, even after one fails; then one line says which failed (exit 1 if any did)
CHECK_STEPS := spec-validate spec-lint spec-examples drift lint typecheck version-policy

check: $(SYNCED) $(NODE)
	@failed=""; passed=""; \
	for step in $(CHECK_STEPS); do \
	  echo "--- make $$step"; \
	  if $(MAKE) --no-print-directory $$step; then passed="$$passed $$step"; \
	  else failed="$$failed $$step"; fi; \
	done; \
	echo "check: passed:$${passed:- none}"; \
	if [ -n "$$failed" ]; then echo "check: FAILED:$$failed"; exit 1; fi

test: check $(NODE)
	$(BIN)/pytest

FAIL_ON ?= ERR

spec-diff: $(SYNCED)
	$(PY) -m tools.specdiff --git $(if $(BASE),$(BASE),--base-default) --fail-on $(FAIL_ON)

bench: $(SYNCED)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) $(BOOT) node_modules .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
