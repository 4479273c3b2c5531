# tradechain: every target installs what it needs from the repo's own files (idempotent; a second run is fast).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# Slither lives in a venv of its own (pinned by requirements-lint.lock), so its dependencies never move Brownie's.
LINT_VENV := .venv-lint
LINT_BIN := $(CURDIR)/$(LINT_VENV)/bin
# Schemathesis (the portal's fuzz test) too, pinned by requirements-fuzz.lock: its Hypothesis is far newer than Brownie's.
FUZZ_VENV := .venv-fuzz
FUZZ_BIN := $(CURDIR)/$(FUZZ_VENV)/bin
PY_SOURCES := tradechain scripts tests bench tools
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/node_modules/.bin:$(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
BROWNIE := $(BIN)/brownie
TRADECHAIN := $(BIN)/tradechain
PYTEST_ARGS ?=

.PHONY: help install compile test test-unit coverage demo bench bench-invariants node-start node-stop clean lint fmt

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	BROWNIE_NOCOMPILE=1 $(BIN)/pip install --disable-pip-version-check -q --no-binary eth-brownie -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# What GS1's own resolver test suite loads in its page (tests/portal/test_gs1_suite.py), in a folder of its own so
# that the project's pins stay as they are.
GS1_SUITE_DEPS := tests/portal/gs1-suite-deps
$(GS1_SUITE_DEPS)/node_modules/.installed: $(GS1_SUITE_DEPS)/package-lock.json
	npm ci --prefix $(GS1_SUITE_DEPS) --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# TradeTrust's token-registry and the OpenZeppelin it imports, measured beside our TitleRegistry (bench/tradetrust.py),
# in a folder of their own so that the project's pins stay as they are. Only `make bench` needs them.
BENCH_PEERS := bench/peers
$(BENCH_PEERS)/node_modules/.installed: $(BENCH_PEERS)/package-lock.json
	npm ci --prefix $(BENCH_PEERS) --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(LINT_VENV)/.installed: requirements-lint.lock
	@test -x $(LINT_BIN)/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_BIN)/pip install --disable-pip-version-check -q -r requirements-lint.lock
	@touch $@

$(FUZZ_VENV)/.installed: requirements-fuzz.lock
	@test -x $(FUZZ_BIN)/python || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_BIN)/pip install --disable-pip-version-check -q -r requirements-fuzz.lock
	@touch $@

# Flower (federated training, tradechain/risk/fl_engine.py) in a venv of its own, pinned by requirements-fl.lock:
# its pins clash with the portal's web stack (FastAPI, uvicorn). tradechain.risk.federated runs it as a subprocess.
FL_VENV := .venv-fl
FL_BIN := $(CURDIR)/$(FL_VENV)/bin
$(FL_VENV)/.installed: requirements-fl.lock
	@test -x $(FL_BIN)/python || $(PYTHON) -m venv $(FL_VENV)
	$(FL_BIN)/pip install --disable-pip-version-check -q -r requirements-fl.lock
	@touch $@

# The portal's browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
BROWSER_PACKAGES := chromium chromium-driver
.tools/.browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES); }
	@mkdir -p .tools && touch $@

install: $(VENV)/.installed $(FL_VENV)/.installed node_modules/.installed $(GS1_SUITE_DEPS)/node_modules/.installed .tools/.browser  ## install Python (.venv; Flower in .venv-fl), Node (node_modules) and browser (Debian chromium) deps, register the compiler
	@$(BIN)/python -m tradechain.chain.toolchain setup

compile: install  ## compile the contracts with Brownie, export the SDK's package data (tradechain/_compiled) from the build
	$(BROWNIE) compile
	$(BIN)/python -m tradechain.chain.artifacts export

# The wheel is built from a copy of the package (pyproject.toml, README.md, tradechain/): setuptools' own build/lib
# never lands in Brownie's build/, and a file deleted from the tree never lingers in a later wheel.
.PHONY: wheel wheel-check
WHEEL_STAGE := $(CURDIR)/dist/.stage
wheel: compile  ## build dist/tradechain-<version>-py3-none-any.whl: the SDK, the CLI, the compiled contracts
	rm -rf dist && mkdir -p $(WHEEL_STAGE)
	cp pyproject.toml README.md $(WHEEL_STAGE)/ && cp -r tradechain $(WHEEL_STAGE)/
	$(BIN)/pip wheel --disable-pip-version-check -q --no-deps --no-build-isolation -w dist $(WHEEL_STAGE)
	rm -rf $(WHEEL_STAGE)
	@ls -l dist/*.whl

wheel-check: wheel  ## install dist's wheel into an empty venv, deploy the suite from outside the checkout (PyPI)
	TRADECHAIN_WHEEL="$$(ls dist/tradechain-*.whl)" $(BROWNIE) test tests/sdk/test_wheel.py -q

test: compile lint test-unit $(FUZZ_VENV)/.installed  ## run every test (after the static checks)
	$(BROWNIE) test --ignore=tests/unit $(PYTEST_ARGS)

test-unit: install  ## the unit tests alone: plain pytest, no chain, Brownie not loaded (seconds)
	$(BIN)/python -m pytest -p no:pytest-brownie -p no:cacheprovider --confcutdir=tests/unit -q tests/unit

coverage: compile  ## branch and statement coverage of our contracts (brownie test --coverage), writes bench/coverage.json
	@# tests.json caches per-module results; a record from an untraced run would stand in for real coverage
	rm -f build/tests.json
	$(BROWNIE) test --coverage --ignore=tests/unit $(PYTEST_ARGS)
	$(BIN)/python -m bench.coverage

# The local chain's port: `make demo PORT=8546` (or $TRADECHAIN_PORT) starts it there, and `node start` remembers it
# for every later command, script and target; without either, the port it last ran on (else 8545). Only a PORT given
# on the command line counts: a PORT variable other tools export into the environment never moves the chain.
PORT ?=
LOCAL_PORT := $(if $(filter command line,$(origin PORT)),TRADECHAIN_PORT=$(PORT))

demo: compile  ## start the persistent local chain (PORT=N), reuse or deploy the suite, run the cross-border scenario
	$(LOCAL_PORT) $(TRADECHAIN) node start
	@$(LOCAL_PORT) $(BIN)/python -m tradechain.chain.toolchain brownie-network
	$(LOCAL_PORT) $(BROWNIE) run scripts/demo.py --network tradechain-local

bench: compile $(BENCH_PEERS)/node_modules/.installed  ## measure gas and throughput, the invariants 10,000 steps each, the portal's latency, the risk models; write bench/results.json
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.invariants
	$(BIN)/python -m bench.portal
	$(BIN)/python -m bench.risk

bench-invariants: compile  ## run every invariant machine for at least 10,000 steps, record them in bench/results.json
	$(BIN)/python -m bench.invariants

lint: install $(LINT_VENV)/.installed  ## static checks: ruff and mypy (Python), prettier and Slither (contracts; writes bench/slither.json)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/mypy
	$(CURDIR)/node_modules/.bin/prettier --check contracts interfaces
	$(LINT_BIN)/python tools/slither_lint.py --solc "$$($(BIN)/python -m tradechain.chain.toolchain solc-path)" --out bench/slither.json

fmt: install  ## format the contracts (prettier with prettier-plugin-solidity, .prettierrc) and the Python (ruff format)
	$(CURDIR)/node_modules/.bin/prettier --write contracts interfaces
	$(BIN)/ruff format $(PY_SOURCES)

node-start: install  ## start the persistent local chain (Anvil): PORT=N, else the port it last ran on, else 8545
	$(LOCAL_PORT) $(TRADECHAIN) node start
	@$(LOCAL_PORT) $(BIN)/python -m tradechain.chain.toolchain brownie-network

node-stop: install  ## stop it (its state is kept in .tradechain/node)
	$(TRADECHAIN) node stop

clean:  ## remove build output (keeps the installs)
	rm -rf build reports .pytest_cache dist tradechain/_compiled
