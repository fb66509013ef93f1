"""Hostile results read in-process: perf's own requests answer a redirect with its status,
and the error sample is the earliest whatever the file order (tests/system/test_hostile_results.py
feeds real perf processes hostile files and servers)."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import pytest

from tests.system.test_hostile_results import Listener, _off_loopback_ipv4, listener  # noqa: F401 (fixtures too)


def test_perfs_own_requests_answer_a_redirect_with_its_status(listener):
    """Setup operations, readiness probes and the OpenAPI document: a 3xx is the answer."""
    import http.server

    from perf.base.errors import PerfError
    from perf.collector.server.server import Server, fetch_openapi, http_call, probe

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(307)
            self.send_header("Location", listener.url)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{app.server_address[1]}"
    try:
        assert http_call("POST", base + "/seed", {"X-Token": "SECRET"}, b"{}") == 307
        answer = probe(base + "/openapi.json")
        assert (answer.status, answer.detail) == (
            307, "GET /openapi.json answered 307 (a redirect: perf does not follow them)")
        with pytest.raises(PerfError, match=r"GET /openapi.json answered 307 \(a redirect"):
            fetch_openapi(Server("external", None, base, None), "/openapi.json")
    finally:
        app.shutdown()
        app.server_close()
    assert listener.connections == 0


def test_the_error_sample_is_the_earliest_whatever_the_file_order(tmp_path):
    """Two load machines' files, each with its own first 500: the stored sample is the one
    answered first (by ts), not whichever a parallel scan of the files met first."""
    import io

    from perf.collector.load.results_filter import ResultsFilter, open_output
    from perf.collector.storage.attacks import store_attack
    from perf.collector.storage.records import AttackRecord
    from perf.store.database import open_store

    def machine(name: str, start_ts: int, said: bytes) -> Path:
        lines = "".join(
            f"{start_ts + i * 1000},{500 if i % 2 else 200},1000,0,{len(said)},"
            f"500 Internal Server Error,{base64.b64encode(said).decode()},,{i},GET,http://h/x,\n"
            for i in range(2000))
        path = tmp_path / name
        with open_output(path) as out:
            ResultsFilter().copy(io.StringIO(lines, newline=""), out)
        return path

    later = machine("later.csv", 1795305502670528600 + 10**9, b"from the later machine")
    earlier = machine("earlier.csv", 1795305502670528600, b"from the earlier machine")
    con = open_store(tmp_path / "s.duckdb")
    try:
        con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('r', now(), 'running')")
        attack_id = store_attack(con, AttackRecord(run_id="r", endpoint="GET /x", method="GET",
                                                   path="/x"), [later, earlier], renumber=True)
        samples = con.execute("SELECT code, body FROM error_samples WHERE attack_id = ?",
                              [attack_id]).fetchall()
    finally:
        con.close()
    assert samples == [(500, b"from the earlier machine")]
