"""The in-process tier: what runs here starts no process (no server, no vegeta, no browser, no
perf command), so the whole tier runs in seconds (`make test-unit`). The rule is enforced, not
hoped for: a test here that starts a process fails and says where it belongs."""

from __future__ import annotations

import subprocess

import pytest


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch, request):
    def refuse(self, args, *rest, **kwargs):
        raise AssertionError(f"{request.node.nodeid} starts a process ({args!r}): a test of the "
                             "in-process tier starts none; it belongs in tests/system/")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
