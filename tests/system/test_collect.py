"""perf collect end to end: real uvicorn/gunicorn, real vegeta, a real DuckDB file."""

from __future__ import annotations

import duckdb
import pytest

from tests.helpers import run_perf

pytestmark = pytest.mark.slow


def _store_facts(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        runs = con.execute("SELECT run_id, status FROM runs").fetchall()
        attacks = con.execute(
            """SELECT a.attack_id, a.endpoint, a.workers, a.server, a.mode, a.target_rate,
                      a.concurrency, (SELECT count(*) FROM requests r WHERE r.attack_id = a.attack_id),
                      (SELECT max(cpu_percent) FROM samples s
                        WHERE s.attack_id = a.attack_id AND s.process = 'server'),
                      (SELECT count(*) FROM samples s
                        WHERE s.attack_id = a.attack_id AND s.process = 'loadgen')
               FROM attacks a ORDER BY attack_id"""
        ).fetchall()
    finally:
        con.close()
    return runs, attacks


@pytest.mark.parametrize("server", ["uvicorn", "gunicorn"])
def test_rate_sweep_over_two_worker_counts(tmp_path, server):
    store = tmp_path / "x.duckdb"
    proc = run_perf(
        ["collect", "--filter", "/api/simple/async", "--rates", "50", "--duration", "2s",
         "--workers", "1,2", "--server", server, "--warmup", "0", "--store", str(store)],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    runs, attacks = _store_facts(store)
    assert [status for _, status in runs] == ["complete"]
    assert [(a[1], a[2], a[3], a[4], a[5]) for a in attacks] == [
        ("GET /api/simple/async/{item_id}", 1, server, "rate", 50.0),
        ("GET /api/simple/async/{item_id}", 2, server, "rate", 50.0),
    ]
    for attack in attacks:
        assert 95 <= attack[7] <= 105  # 50/s for 2 s
        assert attack[8] is not None and attack[8] > 0  # the server tree used CPU
        assert attack[9] > 0  # vegeta was sampled too


def test_concurrency_mode_is_closed_loop(tmp_path):
    store = tmp_path / "c.duckdb"
    proc = run_perf(
        ["collect", "--endpoint", "GET /api/simple/async/{item_id}", "--concurrency", "5",
         "--duration", "2s", "--workers", "1", "--warmup", "0", "--store", str(store)],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    runs, attacks = _store_facts(store)
    assert [status for _, status in runs] == ["complete"]
    (attack,) = attacks
    assert attack[4] == "concurrency" and attack[6] == 5 and attack[5] is None
    # 5 workers, each waiting ~50 ms per request: about 100 req/s, far from unbounded.
    assert 100 <= attack[7] <= 260
    con = duckdb.connect(str(store), read_only=True)
    in_flight = con.execute(
        """SELECT max(n) FROM (
             SELECT (SELECT count(*) FROM requests q
                     WHERE q.ts <= r.ts AND q.ts + q.latency_ns > r.ts) AS n
             FROM requests r)"""
    ).fetchone()[0]
    con.close()
    assert in_flight <= 5


def test_runs_store_setup_and_discovery_records_environment(tmp_path):
    store = tmp_path / "e.duckdb"
    proc = run_perf(
        ["collect", "--endpoint", "GET /api/db/async/read/{item_id}", "--rates", "20",
         "--duration", "1s", "--workers", "1", "--warmup", "0", "--label", "env-check",
         "--store", str(store)],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "setup: POST /api/db/seed -> 200" in proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    run = con.execute(
        "SELECT label, host, cpu_count, vegeta_version, python_version, config->>'$.rates[0]',"
        " finished_at IS NOT NULL FROM runs"
    ).fetchone()
    codes = con.execute("SELECT DISTINCT code FROM requests").fetchall()
    urls = con.execute("SELECT count(DISTINCT url) FROM requests").fetchone()[0]
    con.close()
    assert run[0] == "env-check" and run[1] and run[2] >= 1
    assert run[3] == "v12.13.0" and run[4].startswith("3.") and float(run[5]) == 20.0
    assert run[6]
    assert codes == [(200,)]  # the seeded ids all exist
    assert urls > 1  # ids cycle over the declared range


def test_attach_to_running_server_and_sample_the_given_pid(tmp_path):
    from perf.collector.server.server import start_server
    from tests.helpers import REPO

    srv = start_server("uvicorn", "target_app.main:app", 2, tmp_path / "logs",
                       env={"TARGET_APP_DB": str(tmp_path / "ext.sqlite3"), "PYTHONPATH": str(REPO)})
    try:
        store = tmp_path / "u.duckdb"
        proc = run_perf(
            ["collect", "--url", srv.base_url, "--pid", str(srv.pid), "--endpoint",
             "GET /api/simple/async/{item_id}", "--rates", "30", "--duration", "1s",
             "--warmup", "0", "--store", str(store)],
            tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert srv.proc.poll() is None  # perf leaves a server it did not start running
    finally:
        srv.stop()
    runs, attacks = _store_facts(store)
    assert [status for _, status in runs] == ["complete"]
    (attack,) = attacks
    assert attack[3] == "external" and attack[2] is None
    assert 28 <= attack[7] <= 32
    assert attack[8] is not None and attack[8] > 0  # the --pid tree (master + 2 workers) sampled


def test_busy_server_is_restarted_and_the_next_attack_reaches_it(tmp_path):
    # 200 ms of time.sleep inside async def: 5 req/s at most, and /health waits behind them.
    # 20/s for 1 s leaves a backlog of seconds after vegeta gives up (1 s timeout).
    store = tmp_path / "r.duckdb"
    proc = run_perf(
        ["collect", "--endpoint", "GET /api/simple/async_blocking/{item_id}",
         "--endpoint", "GET /api/simple/async/{item_id}", "--rates", "20", "--duration", "1s",
         "--timeout", "1s", "--workers", "1", "--warmup", "0", "--idle-wait", "0.5s",
         "--store", str(store)],
        tmp_path, TARGET_APP_DELAY_SCALE="4",
    )
    assert proc.returncode == 0, proc.stderr
    assert "uvicorn not idle after 0.5s: restarting it" in proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    codes = dict(con.execute(
        """SELECT a.endpoint, list(DISTINCT r.code ORDER BY r.code)
           FROM requests r JOIN attacks a USING (attack_id) GROUP BY ALL"""
    ).fetchall())
    con.close()
    assert 0 in codes["GET /api/simple/async_blocking/{item_id}"]  # timed out: the backlog
    assert codes["GET /api/simple/async/{item_id}"] == [200]  # the restarted server answered


def test_large_bodies_run_beside_the_small_ones(tmp_path):
    """DESIGN's payload scenario: small-request latency while large requests run beside them."""
    store = tmp_path / "p.duckdb"
    proc = run_perf(
        ["collect", "--endpoint", "POST /api/payload/pong", "--large-body", "1MB",
         "--large-rate", "2", "--rates", "20", "--duration", "2s", "--workers", "1",
         "--warmup", "0", "--store", str(store)],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    runs, attacks = _store_facts(store)
    assert [status for _, status in runs] == ["complete"]
    names = [a[1] for a in attacks]
    assert names == ["POST /api/payload/pong", "POST /api/payload/pong (beside 1MB @ 2/s)",
                     "POST /api/payload/pong (1MB bodies, beside 20/s)"]
    plain, beside, large = attacks
    assert plain[5] == beside[5] == 20.0 and 38 <= beside[7] <= 42  # 20/s for 2 s
    assert large[4] == "rate" and large[5] == 2.0 and 3 <= large[7] <= 5  # 2/s for 2 s
    assert beside[8] is not None and beside[8] > 0  # the server's samples go with the small side
    assert large[8] is None and large[9] > 0  # the large side has its vegeta's only
    con = duckdb.connect(str(store), read_only=True)
    sizes = dict(con.execute(
        """SELECT a.endpoint, min(r.bytes_out) FROM requests r JOIN attacks a USING (attack_id)
           WHERE r.code = 200 GROUP BY 1""").fetchall())
    codes = con.execute("SELECT DISTINCT code FROM requests").fetchall()
    overlap = con.execute(
        """SELECT least(max(r.ts) FILTER (WHERE a.endpoint LIKE '%beside%'),
                        max(r.ts) FILTER (WHERE a.endpoint LIKE '%bodies%'))
                - greatest(min(r.ts) FILTER (WHERE a.endpoint LIKE '%beside%'),
                           min(r.ts) FILTER (WHERE a.endpoint LIKE '%bodies%'))
           FROM requests r JOIN attacks a USING (attack_id)""").fetchone()[0]
    con.close()
    assert codes == [(200,)]  # the grown body is one the endpoint accepts
    assert sizes["POST /api/payload/pong (1MB bodies, beside 20/s)"] >= 1_000_000
    assert sizes["POST /api/payload/pong (beside 1MB @ 2/s)"] == sizes["POST /api/payload/pong"] < 1000
    assert overlap > 0.75e9  # side by side: the large ones span 1.5 s (4 at 2/s), the small 1.95 s



def test_repeat_runs_every_cell_in_interleaved_rounds(tmp_path):
    store = tmp_path / "r.duckdb"
    proc = run_perf(
        ["collect", "--filter", "/api/simple/async", "--rates", "20,30", "--duration", "1s",
         "--workers", "1", "--warmup", "0", "--repeat", "2", "--store", str(store)],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    order = con.execute(
        "SELECT target_rate, repeat_index FROM attacks ORDER BY attack_id").fetchall()
    con.close()
    # Round one visits every cell, then round two: a drift of the machine hits all cells alike.
    assert order == [(20.0, 0), (30.0, 0), (20.0, 1), (30.0, 1)]
