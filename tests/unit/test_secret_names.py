"""Issue 19 defect 9: a --param whose name looks secret is masked wherever perf stores or prints
it; "looks secret" goes by the name's words, so an author or a keyboard is left alone."""

from __future__ import annotations


import pytest

from perf.collector.settings.secrets import looks_secret
from perf.collector.settings.settings import Settings

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


