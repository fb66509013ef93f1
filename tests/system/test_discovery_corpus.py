"""Discovery's generated requests sent over real HTTP to one corpus app under uvicorn (the
in-process checks of every corpus app are in tests/unit/test_discovery_corpus.py)."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from perf.collector.requests.discovery import discover
from tests.apps.corpus import BY_NAME
from tests.helpers import REPO
from tests.unit.test_discovery_corpus import SALTS  # noqa: F401 (fixtures too)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(method: str, url: str, headers: dict, body: bytes | None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:300].decode(errors="replace")


@pytest.mark.slow
def test_a_real_uvicorn_server_accepts_every_generated_request_and_uniques_never_collide(
        tmp_path):
    """signup answers 409 to a repeated email or username: 2 attacks x 6 requests each of every
    endpoint, over HTTP, all 2xx."""
    entry = BY_NAME["signup"]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", entry.app, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"], cwd=REPO, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + entry.openapi_url, timeout=2) as response:
                    spec = json.load(response)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "uvicorn did not answer within 30 s"
                time.sleep(0.2)
        found = discover(spec, entry.overrides())
        assert [e.name for e in found.endpoints] == list(entry.attacked)
        sent = 0
        for endpoint in found.endpoints:
            for salt in SALTS:
                targets = endpoint.write_targets(base + found.prefix, tmp_path / "t.jsonl",
                                                 count=6, salt=salt)
                for line in targets.read_text().splitlines():
                    target = json.loads(line)
                    body = base64.b64decode(target["body"]) if "body" in target else None
                    headers = {k: v[0] for k, v in target["header"].items()}
                    status, text = _call(target["method"], target["url"], headers, body)
                    assert 200 <= status < 300, f"{endpoint.name}: {status} {text}"
                    sent += 1
        assert sent == 3 * 2 * 6
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
