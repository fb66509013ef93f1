"""Issue 19 defect 9: a --param whose name looks secret is masked wherever perf stores or prints
it; "looks secret" goes by the name's words, so an author or a keyboard is left alone."""

from __future__ import annotations

import json

import duckdb
import pytest

from perf.collector.settings.secrets import looks_secret
from perf.collector.settings.settings import Settings
from tests.helpers import run_perf

SECRET = ["password", "passwd", "new_password", "userPassword", "userpassword", "pwd", "token",
          "access_token", "accessToken", "refresh_token", "X-Auth-Token", "XSRF-TOKEN", "secret",
          "client_secret", "key", "api_key", "apiKey", "X-API-Key", "apikey", "auth",
          "Authorization", "Cookie", "session_id", "sessionid", "credentials"]
PLAIN = ["author", "author_id", "authorName", "authors", "keyboard", "monkey", "passenger",
         "item_id", "q", "name", "email", "username"]


@pytest.mark.parametrize("name", SECRET)
def test_a_secret_name_is_secret(name):
    assert looks_secret(name)


@pytest.mark.parametrize("name", PLAIN)
def test_a_plain_name_is_not(name):
    assert not looks_secret(name)


def test_the_stored_config_masks_secret_params_and_keeps_the_author():
    s = Settings(params=[("password", "debian"), ("username", "ubuntu"), ("author", "tolkien"),
                         ("apiKey", "k-123")])
    assert s.to_config()["params"] == ["password=***", "username=ubuntu", "author=tolkien",
                                       "apiKey=***"]
    assert "debian" in s.secrets and "tolkien" not in s.secrets


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
