"""Shared fixtures: real vegeta, scratch stores."""

from __future__ import annotations

import pytest

from collector.vegeta import find_vegeta


@pytest.fixture(scope="session")
def vegeta():
    return find_vegeta()


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "perf.duckdb"
