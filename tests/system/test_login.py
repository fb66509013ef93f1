"""perf logs in by itself and stays logged in (issue 19): with tests/apps/expiring_login.py,
whose tokens live 3 s, and attacks of 4 s, `--login alice:wonderland` alone makes every
operation succeed: the token is renewed during each attack (collector/sweep/login_feed.py).
The password and every token perf got are in no byte perf stores, logs or prints."""

from __future__ import annotations

import base64

import duckdb
import pytest

from tests.helpers import run_perf, stored_successes

pytestmark = pytest.mark.slow
# Every token the app issues to alice begins with these bytes (base64 of '{"sub": "alice", "exp": ')
TOKEN_PREFIX = base64.urlsafe_b64encode(b'{"sub": "alice", "exp": ').decode()


def test_tokens_that_die_mid_attack_are_renewed_and_every_operation_succeeds(tmp_path):
    store = tmp_path / "store" / "s.duckdb"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = run_perf(["collect", "--app", "tests.apps.expiring_login:app", "--login",
                     "alice:wonderland", "--rates", "10", "--duration", "4s", "--warmup", "0",
                     "--workers", "1", "--store", str(store)], tmp_path, TMPDIR=str(scratch),
                    APP_STATE_DB=str(tmp_path / "state.sqlite"), EXPIRING_LOGIN_TTL_S="3")
    assert proc.returncode == 0, proc.stderr
    assert "the login's token lives 3s, too little for one attack of 4s: perf logs in again " \
           "every 1.5s while it attacks" in proc.stderr
    rows, config = stored_successes(store)
    assert {r[0] for r in rows} == {"POST /auth/token", "GET /users/me", "GET /projects",
                                    "POST /projects", "GET /projects/{project_id}"}
    for endpoint, requests, successes in rows:  # 4 s at 10/s: the token died twice in each
        assert requests >= 38 and successes >= 0.99 * requests, (endpoint, requests, successes)
    assert config["login"] == "alice:***"
    report = run_perf(["report", "--format", "json", "--store", str(store)], tmp_path)
    assert report.returncode == 0, report.stderr
    for text in (proc.stdout, proc.stderr, report.stdout):
        assert "wonderland" not in text and TOKEN_PREFIX not in text
    left = [p for folder in (store.parent, scratch) for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in left)
    for path in left:
        data = path.read_bytes()
        assert b"wonderland" not in data and TOKEN_PREFIX.encode() not in data, path


def test_a_token_that_outlives_the_attack_needs_no_feed(tmp_path):
    """With a token of 60 s, the targets file carries it, as before: no renewal said."""
    proc = run_perf(["collect", "--app", "tests.apps.expiring_login:app", "--login",
                     "alice:wonderland", "--endpoint", "GET /users/me", "--rates", "5",
                     "--duration", "1s", "--warmup", "0", "--workers", "1",
                     "--store", str(tmp_path / "s.duckdb")], tmp_path,
                    APP_STATE_DB=str(tmp_path / "state.sqlite"), EXPIRING_LOGIN_TTL_S="60")
    assert proc.returncode == 0, proc.stderr
    assert "logs in again" not in proc.stderr
    assert "100.0% ok" in proc.stderr


def test_a_wrong_password_is_one_line_and_nothing_is_left(tmp_path):
    proc = run_perf(["collect", "--app", "tests.apps.expiring_login:app", "--login",
                     "alice:not-the-password", "--rates", "5", "--duration", "1s",
                     "--store", str(tmp_path / "s.duckdb")], tmp_path,
                    APP_STATE_DB=str(tmp_path / "state.sqlite"))
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("perf: error: --login: POST /auth/token answered 400"), last
    assert "not-the-password" not in proc.stderr + proc.stdout
    assert "run " not in proc.stderr  # no run was stored, no attack started
    store = tmp_path / "s.duckdb"
    if store.exists():
        con = duckdb.connect(str(store), read_only=True)
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
        con.close()
