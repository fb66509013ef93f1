"""The loopback rule on URLs, in-process (the failures of real collects are in
tests/system/test_collect_errors.py)."""

from __future__ import annotations

from perf.collector.server import server as server_mod


def test_loopback_urls_are_accepted():
    for url in ("http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000",
                "http://127.0.0.2:9000"):
        server_mod.require_loopback(url)  # raises PerfError otherwise
