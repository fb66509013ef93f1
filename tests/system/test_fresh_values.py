"""Issue 19, defect 1: a create whose fields must be unique succeeds in every attack of a sweep,
whatever ran before it: the warm-up, an earlier repeat, an earlier rate. The app refuses a
repeated email or username with 409, so one replayed value is a failure the store shows."""

from __future__ import annotations

import duckdb

from tests.helpers import run_perf


def test_creates_never_replay_a_value_the_warm_up_or_an_earlier_attack_sent(tmp_path):
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", "tests.apps.signup:app", "--endpoint", "POST /customers",
                     "--rates", "5,10", "--duration", "1s", "--warmup", "1s", "--repeat", "2",
                     "--workers", "1", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("""SELECT a.target_rate, s.requests, s.successes
                              FROM attacks a JOIN attack_stats s USING (attack_id)""").fetchall()
        codes = con.execute("SELECT DISTINCT code FROM requests").fetchall()
    finally:
        con.close()
    assert len(rows) == 4  # two rates, two repeats, each after its own warm-up
    assert all(requests >= 3 and successes == requests for _, requests, successes in rows), rows
    assert codes == [(201,)]
