"""Issue 21, the results path: against tests/apps/hostile.py, perf never follows a redirect
(load and secrets stay on this machine), stores attacks whose answers are megabytes long,
never stores a secret the app echoes back, and refuses results files that would lie."""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import threading
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import psutil
import pytest

from perf.collector.server.server import start_server
from tests.helpers import REPO, first_results, results_said, run_perf

HOSTILE = "tests.apps.hostile:app"
BIG, HUGE = 2_500_000, 25_000_000  # the app's defaults for /big and /huge
X_TOKEN, BEARER, API_KEY = "SECRET-XTOKEN-777", "SECRET-BEARER-888", "SECRET-APIKEY-999"


def query(store: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def one_error_line(proc) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("perf: error: "), proc.stderr
    return lines[0]


# ---- 1. redirects are answers, never followed -------------------------------------------

def _off_loopback_ipv4() -> str | None:
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                return address.address
    return None


class Listener:
    """A real TCP listener on another address of this host: whatever connects is recorded."""

    def __init__(self, host: str):
        self.sock = socket.create_server((host, 0))
        self.address = (host, self.sock.getsockname()[1])
        self.url = f"http://{host}:{self.address[1]}/caught"
        self.received: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not select.select([self.sock], [], [], 0.1)[0]:
                continue
            conn, _ = self.sock.accept()
            self.connections += 1
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(65536))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ncaught")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def listener():
    host = _off_loopback_ipv4()
    if host is None:
        pytest.skip("this host has no IPv4 address besides loopback to redirect to")
    server = Listener(host)
    yield server
    server.close()


def test_a_redirect_to_another_host_is_stored_as_307_and_never_followed(tmp_path, listener):
    # Sanity: the listener does catch what reaches it (else "nothing received" proves nothing).
    probe = socket.create_connection(listener.address, timeout=2)
    probe.sendall(b"GET / HTTP/1.0\r\n\r\n")
    probe.recv(100)
    probe.close()
    assert listener.connections == 1
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", HOSTILE, "--header", "X-Token: SECRET",
                     "--endpoint", "GET /redirect-ext", "--rates", "5", "--duration", "1s",
                     "--warmup", "0.5s", "--workers", "1",
                     "--background", "GET /redirect-ext rate=2", "--store", str(store)],
                    tmp_path, HOSTILE_REDIRECT_TO=listener.url)
    assert proc.returncode == 0, proc.stderr
    assert listener.connections == 1 and not any(b"SECRET" in r for r in listener.received[1:])
    assert query(store, "SELECT DISTINCT code FROM requests") == [(307,)]
    assert query(store, "SELECT count(*) FROM attacks") == [(3,)]  # alone, inside the mix, beside
    [said] = results_said(l for l in proc.stderr.splitlines() if l.startswith("[1/"))
    assert said in (4, 5)  # 5/s for 1 s (one fewer when vegeta falls behind)
    assert f"{said} requests, 100.0% ok ({said} redirects, not followed)" in proc.stderr
    assert query(store, "SELECT status FROM runs") == [("complete",)]


# ---- 2. answers megabytes long ----------------------------------------------------------

def test_attacks_on_megabyte_answers_are_stored_whole(tmp_path):
    """2.5 MB and 25 MB bodies: every request stored with its real size, the run complete, and
    the sweep goes on to the next operation (a body used to lose the attack, and stop it)."""
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", HOSTILE, "--endpoint", "GET /big",
                     "--endpoint", "GET /huge", "--rates", "2", "--duration", "2s",
                     "--warmup", "0", "--workers", "1", "--store", str(store)], tmp_path,
                    timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert query(store, "SELECT status FROM runs") == [("complete",)]
    rows = query(store, """SELECT a.endpoint, count(*), min(r.bytes_in), max(r.bytes_in),
                                  min(r.code), max(r.code)
                           FROM requests r JOIN attacks a USING (attack_id)
                           GROUP BY ALL ORDER BY 1""")
    assert rows == [("GET /big", 4, BIG, BIG, 200, 200), ("GET /huge", 4, HUGE, HUGE, 200, 200)]
    assert not (Path(str(store) + ".spool") / "rejected").exists()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The hostile app with /big at 3 MB and /huge at 120 KB (above the csv module's 128 KB)."""
    tmp = tmp_path_factory.mktemp("hostile")
    srv = start_server("uvicorn", HOSTILE, 1, tmp / "logs",
                       env={"PYTHONPATH": str(REPO), "HOSTILE_BIG_BYTES": "3000000",
                            "HOSTILE_HUGE_BYTES": "120000"})
    yield srv
    srv.stop()


def _attack(vegeta, base_url: str, route: str, rate: int, out: Path, encoding: str = "gob",
            duration: str = "1s") -> Path:
    """Real vegeta results of `route`, in `encoding`."""
    gob = out.with_suffix(".gob")
    with open(gob, "wb") as fh:
        subprocess.run([str(vegeta), "attack", f"-rate={rate}/1s", f"-duration={duration}"],
                       input=f"GET {base_url}{route}\n".encode(), stdout=fh, check=True,
                       timeout=60)
    if encoding == "gob":
        return gob
    with open(out, "wb") as fh:
        subprocess.run([str(vegeta), "encode", "--to", encoding, str(gob)], stdout=fh,
                       check=True, timeout=60)
    return out


@pytest.mark.parametrize("route, rate, encoding, size", [
    ("/big", 1, "gob", 3_000_000),  # one 3 MB body: DuckDB could not read its CSV line
    ("/big", 2, "csv", 3_000_000),
    ("/huge", 5, "json", 120_000),  # 120 KB bodies: Python's csv module refused them
])
def test_ingest_of_results_with_large_bodies(tmp_path, vegeta, hostile_server, route, rate,
                                             encoding, size):
    source = _attack(vegeta, hostile_server.base_url, route, rate,
                     tmp_path / f"results.{encoding}", encoding)
    store = tmp_path / "s.duckdb"
    proc = run_perf(["ingest", str(source), "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    # As many as vegeta's own report counts (rate x 1 s, one fewer when vegeta falls behind).
    report = subprocess.run([str(vegeta), "report", "-type=json", str(source.with_suffix(".gob"))],
                            capture_output=True, text=True, check=True, timeout=60)
    sent = json.loads(report.stdout)["requests"]
    assert max(1, rate - 1) <= sent <= rate
    assert query(store, "SELECT count(*), min(bytes_in), max(bytes_in), min(code) FROM requests"
                 ) == [(sent, size, size, 200)]


# ---- 3. secrets the app echoes never reach the store ------------------------------------

def test_secrets_echoed_by_the_app_are_masked_everywhere(tmp_path):
    """Headers and a secret-looking --param, echoed by the app in its 422 and 401 bodies (and
    the param in every URL): nowhere in the store's bytes, any report, the server's log or
    perf's scratch folders once the sweep is over."""
    store = tmp_path / "store" / "s.duckdb"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = run_perf(["collect", "--app", HOSTILE, "--endpoint", "GET /echo-422",
                     "--endpoint", "GET /echo-401", "--header", f"X-Token: {X_TOKEN}",
                     "--header", f"Authorization: Bearer {BEARER}",
                     "--param", f"api_key={API_KEY}", "--rates", "5",
                     "--duration", "1s", "--warmup", "0", "--workers", "1",
                     "--store", str(store)], tmp_path, TMPDIR=str(scratch))
    assert proc.returncode == 0, proc.stderr
    samples = dict(query(store, "SELECT code, body FROM error_samples"))
    assert set(samples) == {401, 422}
    # what the app said is kept, its echo of the secrets masked as the plan shows them
    assert b'"input":"***"' in samples[422] and b'"x-token"' in samples[422]
    assert b'"authorization":"Bearer ***"' in samples[401]
    assert b'"x-token":"***"' in samples[401]
    assert b'"api_key":"***"' in samples[401]
    outputs = [proc.stdout, proc.stderr]
    for fmt in ("json", "text", "markdown", "csv"):
        report = run_perf(["report", "--format", fmt, "--store", str(store)], tmp_path)
        assert report.returncode == 0, report.stderr
        outputs.append(report.stdout)
    html = tmp_path / "report.html"
    report = run_perf(["report", "--output", str(html), "--store", str(store)], tmp_path)
    assert report.returncode == 0, report.stderr
    outputs.append(html.read_text())
    assert all("not authorised" in text for text in outputs[2:4])  # json, text show samples
    # Every file perf left: the store (and its WAL), the server logs beside it, and whatever
    # remains of its scratch folders.
    left = [p for folder in (store.parent, scratch) for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in left)  # the server's log is among them
    stored = [p.read_bytes() for p in left]
    for secret in (X_TOKEN, BEARER, API_KEY):
        assert not any(secret in text for text in outputs), secret
        assert not any(secret.encode() in data for data in stored), secret
        assert query(store, "SELECT count(*) FROM requests WHERE contains(url, ?) "
                            "OR contains(error, ?)", [secret, secret]) == [(0,)]


# ---- 4. results files that would lie ----------------------------------------------------

@pytest.fixture(scope="module")
def results_json(tmp_path_factory, vegeta, hostile_server):
    """20 real results (JSON) of the hostile app's /echo-401."""
    tmp = tmp_path_factory.mktemp("results")
    return first_results(_attack(vegeta, hostile_server.base_url, "/echo-401", 20,
                                 tmp / "results.json", "json", duration="2s"), 20)


def test_a_spooled_results_file_cut_at_a_record_boundary_is_refused(tmp_path, vegeta,
                                                                    results_json):
    from perf.collector.storage.attacks import to_csv
    from perf.collector.storage.records import AttackRecord
    from perf.collector.storage.run_rows import run_row
    from perf.collector.storage.spool import attack_files, run_files, write_entry
    from perf.store.database import spool_path

    store = tmp_path / "s.duckdb"
    csv_path = tmp_path / "r.csv"
    written = to_csv(vegeta, results_json, csv_path)
    assert written == 20
    row = run_row(status="running", label=None, target="t", config={}, vegeta_version="v")
    attack = AttackRecord(run_id=row["run_id"], endpoint="GET /echo-401", method="GET",
                          path="/echo-401", target_rate=20.0,
                          started_at=datetime.now(timezone.utc))
    root = spool_path(store)
    write_entry(root, row["run_id"], 0, "run", run_files(row))
    entry = write_entry(root, row["run_id"], 1, "attack",
                        attack_files(attack, csv_path, [], written=written))
    results = entry.path / "results.csv"
    data = results.read_bytes()
    results.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 1])  # the last record gone
    proc = run_perf(["ingest", "--spooled", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "truncated vegeta results (19 of the 20 results written)" in proc.stderr
    assert query(store, "SELECT count(*) FROM attacks") == [(0,)]
    assert (root / "rejected" / f"{row['run_id']}-{entry.path.name}").is_dir()


def test_ingest_refuses_negative_latencies(tmp_path, vegeta, results_json):
    lines = subprocess.run([str(vegeta), "encode", "--to", "csv", str(results_json)],
                           capture_output=True, check=True).stdout.splitlines(keepends=True)
    fields = lines[3].split(b",")
    fields[2] = b"-" + fields[2]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"".join(lines[:3] + [b",".join(fields)] + lines[4:]))
    store = tmp_path / "s.duckdb"
    line = one_error_line(run_perf(["ingest", str(bad), "--store", str(store)], tmp_path))
    assert line == f"perf: error: {bad}: result 4: negative latency ({fields[2].decode()} ns)"
    assert not store.exists()


def test_ingest_refuses_the_same_results_twice(tmp_path, results_json):
    store = tmp_path / "s.duckdb"
    link = tmp_path / "link.json"
    link.symlink_to(results_json)
    copy = tmp_path / "copy.json"
    shutil.copy(results_json, copy)
    for files, message in [
        ([results_json, results_json], f"{results_json}: given twice"),
        ([results_json, link], f"{link}: the same file as {results_json}"),
        ([results_json, copy], f"{copy}: the same results as {results_json}"),
    ]:
        line = one_error_line(run_perf(["ingest", *map(str, files), "--store", str(store)],
                                       tmp_path))
        assert line == f"perf: error: {message}: its results would count twice"
    assert not store.exists()


def test_ingest_of_a_device_or_a_fifo_says_it_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        line = one_error_line(run_perf(["ingest", path, "--store", str(tmp_path / "s.duckdb")],
                                       tmp_path, timeout=30))
        assert line == f"perf: error: {path}: not a regular file"
    missing = tmp_path / "missing.bin"
    assert one_error_line(run_perf(["ingest", str(missing), "--store",
                                    str(tmp_path / "s.duckdb")], tmp_path)) == \
        f"perf: error: {missing}: no such file"
