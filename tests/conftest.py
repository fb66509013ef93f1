"""Shared fixtures: real vegeta, scratch stores, and an environment that is the same for every
caller (a terminal of any width, NO_COLOR, a PERF_STORE of one's own) and every test order."""

from __future__ import annotations

import os

import pytest

from perf.collector.load.vegeta import find_vegeta

# What perf or rich read from the environment to choose widths, colours and settings. Tests
# that need one set it themselves (a pty test sets COLUMNS and TERM for its own process).
_TERMINAL = ("COLUMNS", "LINES", "TERM", "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE",
             "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLORTERM")
# Where vegeta is (make test puts it in the venv; a caller may point elsewhere): a tool's
# location, not a setting any output depends on. And the tests' own switches: accepting new
# snapshots, keeping screenshots.
_KEPT_PERF = ("PERF_VEGETA", "PERF_UPDATE_SNAPSHOTS", "PERF_SCREENSHOTS")


def _fixed_environment() -> None:
    for name in list(os.environ):
        if name in _TERMINAL or (name.startswith("PERF_") and name not in _KEPT_PERF):
            del os.environ[name]


def _ours() -> dict[str, str]:
    # PYTEST_* are pytest's own (PYTEST_CURRENT_TEST, xdist's worker ids): not ours to restore.
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


# At import, before any fixture of any scope (module fixtures start servers and run perf).
_fixed_environment()
_CLEAN = _ours()


@pytest.fixture(autouse=True)
def _environment_per_test():
    """Every test starts from the same environment and leaves none of its changes behind, so no
    test depends on the ones that ran before it."""
    yield
    now = _ours()
    if now != _CLEAN:
        for name in now.keys() - _CLEAN.keys():
            del os.environ[name]
        os.environ.update(_CLEAN)


@pytest.fixture(scope="session")
def vegeta():
    return find_vegeta()


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "perf.duckdb"
