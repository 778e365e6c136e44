# portkey-runs — one command per job; every target bootstraps what it needs.
# `make help` lists the jobs: the targets with a `## description` comment.

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
# The package without the otel extra: the overlay is type-checked there too.
NO_OTEL := .venv-no-otel
NO_OTEL_SYNCED := $(NO_OTEL)/.synced
NODE := node_modules/.installed
BASE ?=
GENERATED := generated overlay/portkey_runs/testing/_wire.py

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help venv node demo test check generate spec-validate spec-lint spec-examples drift lint typecheck spec-diff version-policy release dist bench clean

help: ## this list
	@awk 'BEGIN { FS = ":[^#]*## " } /^[a-z][a-z-]*:[^#]*## / { printf "  make %-14s %s\n", $$1, $$2 }' $(firstword $(MAKEFILE_LIST))

# --- bootstrap -------------------------------------------------------------------------------
$(UV):
	$(PYTHON_BOOT) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --all-extras --quiet
	@touch $@

$(NO_OTEL_SYNCED): uv.lock pyproject.toml | $(UV)
	UV_PROJECT_ENVIRONMENT=$(NO_OTEL) $(UV) sync --locked --no-default-groups --group no-otel --extra testing --quiet
	@touch $@

$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

venv: $(SYNCED)
node: $(NODE)

# --- jobs ------------------------------------------------------------------------------------
demo: $(SYNCED) ## the main job (a tool loop) against the embedded reference server
	$(BIN)/portkey-runs demo

generate: $(SYNCED) ## regenerate generated/ (and the testing wire models) from openapi.yaml
	$(PY) -m tools.generate

spec-validate: $(SYNCED) ## validate openapi.yaml (OpenAPI 3.1, references, schemas)
	$(PY) -m tools.validate_spec openapi.yaml

spec-lint: $(NODE) ## lint openapi.yaml with Redocly
	node_modules/.bin/redocly lint openapi.yaml --config redocly.yaml --format=stylish

spec-examples: $(SYNCED) ## validate every example of openapi.yaml against its schema
	$(PY) -m tools.validate_spec --examples openapi.yaml

drift: $(SYNCED) ## fail if generated code or public-api.txt is out of sync with the spec
	$(PY) -m tools.generate --check

lint: $(SYNCED) ## ruff (generated code with ruff's defaults)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ruff check --isolated --no-cache $(GENERATED)
	$(BIN)/ruff format --isolated --no-cache --check $(GENERATED)

typecheck: $(SYNCED) $(NO_OTEL_SYNCED) ## mypy --strict on everything (the overlay also without OpenTelemetry)
	$(BIN)/mypy --strict generated/portkey_runs_api overlay tools tests benchmarks
	$(BIN)/mypy --strict --python-executable $(NO_OTEL)/bin/python --cache-dir .mypy_cache/no-otel generated/portkey_runs_api overlay

version-policy: $(SYNCED) ## a breaking spec change needs a major version bump
	$(PY) -m tools.specdiff.version_policy $(if $(BASE),--base $(BASE),)

# every step runs, even after one fails; then one line says which failed (the recipe exits 1 if
# any did, and make itself then exits 2, as GNU make does for any failed recipe)
CHECK_STEPS := spec-validate spec-lint spec-examples drift lint typecheck version-policy

check: $(SYNCED) $(NODE) ## every static check, each run even after one fails; a summary at the end
	@failed=""; passed=""; \
	for step in $(CHECK_STEPS); do \
	  echo "--- make $$step"; \
	  if $(MAKE) --no-print-directory $$step; then passed="$$passed $$step"; \
	  else failed="$$failed $$step"; fi; \
	done; \
	echo "check: passed:$${passed:- none}"; \
	if [ -n "$$failed" ]; then echo "check: FAILED:$$failed"; exit 1; fi

# MODE: how the tests read answers (tests/conftest.py, $$PORTKEY_RUNS_TEST_MODE): strict (the
# default: every departure from the spec raises) or default (as a user's client reads). `make
# test` runs every test in MODE, then the tests whose clients read answers (READING_TESTS) in
# the other mode; MODE=both runs every test in both modes. Left out of the second run: the spec
# tooling, the pipeline and the reference server's own tests (no client reads there), and
# test_linear_time.py (pure functions on plain data, a third of the suite's time).
MODE ?= strict
READING_TESTS := tests/overlay tests/generated tests/e2e tests/test_generated_client.py \
	tests/test_readme.py tests/test_modes.py tests/test_install.py tests/testing/test_faults.py \
	tests/testing/test_serve_process.py tests/tools/test_spec_follow.py \
	--ignore=tests/overlay/test_linear_time.py
FIRST_MODE = $(if $(filter both,$(MODE)),strict,$(MODE))
OTHER_MODE = $(if $(filter default,$(MODE)),strict,default)
OTHER_TESTS = $(if $(filter both,$(MODE)),,$(READING_TESTS))

test: check $(NODE) ## make check, every test in MODE (strict; coverage >= 95%), the reading tests in the other
	@case "$(MODE)" in strict|default|both) ;; \
	  *) echo "MODE must be strict, default or both, got '$(MODE)'" >&2; exit 2;; esac
	PORTKEY_RUNS_TEST_MODE=$(FIRST_MODE) $(BIN)/pytest
	PORTKEY_RUNS_TEST_MODE=$(OTHER_MODE) $(BIN)/pytest --no-cov $(OTHER_TESTS)

FAIL_ON ?= ERR
FORMAT ?= md
SUMMARY ?=

# FORMAT=github prints workflow commands (annotations); SUMMARY=FILE also appends the Markdown report
spec-diff: $(SYNCED) ## what a spec change breaks (HTTP and Python API), against BASE (default origin/main); fails on FAIL_ON
	$(PY) -m tools.specdiff --git $(if $(BASE),$(BASE),--base-default) --fail-on $(FAIL_ON) --format $(FORMAT) $(if $(SUMMARY),--summary "$(SUMMARY)",)

DIST ?= dist

dist: | $(UV) ## build the wheel and the sdist into DIST (default dist/): pip install "dist/<wheel>[testing]"
	$(UV) build --quiet --out-dir "$(DIST)"
	@ls "$(DIST)"/*.whl

release: $(SYNCED) ## release VERSION=X.Y.Z: every version, uv lock, CHANGELOG.md; refused if the policy forbids it
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z" >&2; exit 1; }
	$(PY) -m tools.release "$(VERSION)" --uv $(UV)

bench: $(SYNCED) ## benchmarks: ratios against openai, portkey-ai and the floors (PROFILE=1: where the time goes)
	$(PY) -m benchmarks $(if $(PROFILE),--profile)

clean: ## remove the virtualenvs, node_modules and caches
	rm -rf $(VENV) $(BOOT) $(NO_OTEL) node_modules .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
