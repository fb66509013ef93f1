# Two entry points, each doing all of its own set-up (idempotent, fast when done):
#   make demo  — install, run a short sweep against target_app, write results/report.html
#   make test  — install, run the whole test suite (what .ci/run calls)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The vegeta perf expects has one home, collector/load/vegeta.py (what `perf doctor` checks for).
VEGETA_VERSION := $(shell sed -n 's/^PINNED_VERSION = "\(.*\)"$$/\1/p' collector/load/vegeta.py)
ACTIONLINT_VERSION := v1.7.12
STAMP := $(VENV)/.installed
# Every package of perf and its test extras, exact versions and sha256 hashes, for every
# platform and Python 3.11-3.13 (one universal file): `make install` installs exactly these
# with pip, which every Python has; `make lock` refreshes the file on purpose, with uv.
LOCK := requirements.lock
UV_VERSION := 0.13.8
UV := .tools/uv/bin/uv
LATEST := .venv-latest
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-unit suite test-latest install lock vegeta chromium actionlint plotlyjs clean-venv

demo: install vegeta
	$(BIN)/perf doctor
	$(BIN)/perf collect --quick --store results/perf.duckdb
	$(BIN)/perf report --store results/perf.duckdb
	$(BIN)/perf report --store results/perf.duckdb --output results/report.html
	@echo "report: results/report.html"

test: install vegeta chromium actionlint
	$(MAKE) --no-print-directory suite PY=$(BIN)/python

# The suite in two passes: tests marked `serial` measure timing or need both cores (real
# attacks whose numbers they check), so they run alone; the rest (mostly waiting on short attacks
# and server starts, not computing) run three at a time on the two cores (pytest-xdist).
# The tests are in two tiers: tests/unit runs in-process (it refuses to start a process) and
# tests/system starts real servers, vegeta, perf and Chromium; both run here.
# PYTEST_ARGS passes options to both, e.g. `make test PYTEST_ARGS=--random-order`.
PY ?= $(BIN)/python
suite:
	$(PY) -m pytest -q -m "not serial" -n $(or $(JOBS),3) $(PYTEST_ARGS)
	$(PY) -m pytest -q -m serial $(PYTEST_ARGS)

# The in-process tier alone, while working on a change: no vegeta, server or browser needed.
test-unit: install
	$(BIN)/python -m pytest -q tests/unit -n 2 $(PYTEST_ARGS)

install: $(STAMP) plotlyjs

# Reinstall only when the project's metadata or the lock changes. Every package comes from the
# lock, hash-checked (--require-hashes), setuptools included: the editable install of perf
# itself builds without fetching anything unpinned (--no-build-isolation). pip is not upgraded:
# the one that comes with the venv reads the lock as well, and stays the same on every run.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip uninstall -q -y perf 2>/dev/null || true  # perf's distribution before it was fastapi-perf
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Refresh the lock from pyproject.toml's ranges (and the build backend's): newest versions
# that fit, for Python 3.11 and up on every platform. Run it on purpose, then `make test`.
lock: $(UV)
	printf 'setuptools>=68\n' | $(UV) pip compile pyproject.toml - --extra test --universal \
	  --python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet -o $(LOCK)
	@echo "$(LOCK) refreshed: review its diff, then make test"

$(UV):
	$(PYTHON) -m venv .tools/uv
	.tools/uv/bin/python -m pip install -q uv==$(UV_VERSION)

# The suite on the newest releases pyproject.toml allows, in a venv of its own: a coming break
# shows here before `make lock` takes it in. It never touches .venv or the lock.
test-latest: install vegeta chromium
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip
	$(LATEST)/bin/python -m pip install -q --upgrade -e '.[test]'
	cp $(BIN)/vegeta $(LATEST)/bin/vegeta
	$(LATEST)/bin/python -m pip freeze --exclude-editable > $(LATEST)/versions.txt
	$(MAKE) --no-print-directory suite PY=$(LATEST)/bin/python

# The dashboard's plotly.js (the cartesian partial bundle, pinned in tools/plotlyjs.py) into the
# tree as perf's package data, its checked tarball kept in the venv (tests/system/test_wheel.py
# builds a wheel from it offline). Offline, the dashboard falls back to the plotly package's full
# bundle and says so in its footer and in `perf doctor`; nothing fails.
plotlyjs: $(STAMP)
	@$(BIN)/python tools/plotlyjs.py $(VENV)/share/perf \
	  || echo "reports embed the plotly package's full plotly.js (~2 MB instead of < 1 MB)"

# vegeta: use one already reachable (PERF_VEGETA, the venv, PATH); otherwise build the
# pinned release from tools/vegeta with go. The ldflags set the version that
# `vegeta -version` prints, as vegeta's own Makefile does.
vegeta: install
	@if [ -n "$$PERF_VEGETA" ] && [ -x "$$PERF_VEGETA" ]; then exit 0; fi; \
	if [ -x $(BIN)/vegeta ]; then exit 0; fi; \
	if command -v vegeta >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v go >/dev/null 2>&1; then \
	  echo "vegeta not found and go is not installed. Install vegeta $(VEGETA_VERSION), then re-run make:"; \
	  $(BIN)/python -c 'from perf.collector.load.vegeta import install_lines; print(*install_lines(), sep="\n")'; \
	  exit 1; \
	fi; \
	echo "building vegeta $(VEGETA_VERSION) into $(BIN) ..."; \
	cd tools/vegeta && GOFLAGS=-mod=mod GOBIN="$(CURDIR)/$(BIN)" \
	  go install -ldflags "-X main.Version=$(VEGETA_VERSION)" github.com/tsenart/vegeta/v12

# actionlint checks the workflows under docs/workflows/ as GitHub would (contexts, expressions,
# pinned actions' inputs) and their shell scripts with shellcheck: built from the pinned module in
# tools/actionlint with go; shellcheck (and jq, which the comment step's test runs) are Debian's
# packages, installed when missing and root.
actionlint: install
	@if [ ! -x $(BIN)/actionlint ]; then \
	  if ! command -v go >/dev/null 2>&1; then \
	    echo "go not found: the workflow lint test will fail (install go, or actionlint $(ACTIONLINT_VERSION) into $(BIN))"; exit 0; \
	  fi; \
	  echo "building actionlint $(ACTIONLINT_VERSION) into $(BIN) ..."; \
	  cd tools/actionlint && GOFLAGS=-mod=mod GOBIN="$(CURDIR)/$(BIN)" \
	    go install -ldflags "-X github.com/rhysd/actionlint.version=$(ACTIONLINT_VERSION)" \
	    github.com/rhysd/actionlint/cmd/actionlint; \
	fi; \
	if ! { command -v shellcheck && command -v jq; } >/dev/null 2>&1 && [ "$$(id -u)" = "0" ] \
	   && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing shellcheck and jq (Debian packages) for the workflow tests ..."; \
	  (apt-get install -y -qq shellcheck jq >/dev/null 2>&1 || { apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck jq >/dev/null; }) || true; \
	fi

# Browser tests need Chromium; install Debian's package when missing and we are root.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	   || command -v google-chrome >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium (Debian package) for the browser tests ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "chromium not found: browser tests will be skipped (install Debian's 'chromium' to run them)"; \
	fi

clean-venv:
	rm -rf $(VENV)
