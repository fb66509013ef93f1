"""A --param whose name looks secret, through a real collect: in no byte of the store nor the
output (the name rules are checked in-process in tests/unit/test_secret_names.py)."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.helpers import run_perf


@pytest.mark.slow
def test_a_secret_param_is_in_no_byte_of_the_store_nor_the_output(tmp_path):
    store = tmp_path / "s.duckdb"
    # The app's form takes username and password; a wrong password is refused, still stored
    proc = run_perf(["collect", "--app", "tests.apps.oauth_login:app", "--param",
                     "password=debian-secret-77", "--param", "username=ubuntu",
                     "--endpoint", "POST /token", "--rates", "5", "--duration", "1s",
                     "--warmup", "0", "--workers", "1", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(store), read_only=True)
    config = json.loads(con.execute("SELECT config FROM runs").fetchone()[0])
    con.close()
    assert config["params"] == ["password=***", "username=ubuntu"]
    for path in [store, *tmp_path.rglob("*.log")]:
        assert b"debian-secret-77" not in path.read_bytes(), path
    assert "debian-secret-77" not in proc.stdout + proc.stderr
