"""Issue 19: real apps answer 2xx with no options but --login. Each app of tests/apps shows one
thing real apps do: an OAuth2 login whose tokens expire, a RealWorld-style JSON login with a
`Token` scheme, ids that exist only once created (nested), UUID4 keys and a lookup by another
field. Every operation perf attacks must succeed on >= 99% of its requests."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_perf, stored_successes

pytestmark = pytest.mark.slow
TINY = ["--rates", "5", "--duration", "1s", "--warmup", "0", "--workers", "1"]


def _collect(tmp_path, app: str, *options: str, **env: str):
    store = tmp_path / "s.duckdb"
    proc = run_perf(["collect", "--app", app, *options, *TINY, "--store", str(store)], tmp_path,
                    APP_STATE_DB=str(tmp_path / "state.sqlite"), **env)
    assert proc.returncode == 0, proc.stderr
    rows, config = stored_successes(store)
    return proc, store, rows, config


def _all_succeed(rows):
    for endpoint, requests, successes in rows:
        assert requests >= 3 and successes >= 0.99 * requests, (endpoint, requests, successes)


def test_an_oauth2_app_whose_tokens_expire_within_the_run_succeeds_with_login_only(tmp_path):
    # Tokens live 4 s; the run (5 operations of 1 s, plus gaps) outlives two of them.
    proc, store, rows, config = _collect(tmp_path, "tests.apps.expiring_login:app",
                                         "--login", "alice:wonderland", EXPIRING_LOGIN_TTL_S="4")
    assert {r[0] for r in rows} == {"POST /auth/token", "GET /users/me", "GET /projects",
                                    "POST /projects", "GET /projects/{project_id}"}
    _all_succeed(rows)
    assert "logged in as alice via POST /auth/token (OAuth2 password flow)" in proc.stderr
    assert "project_id=" in proc.stderr and "(from POST /projects)" in proc.stderr  # none listed yet
    assert config["login"] == "alice:***"
    for path in [store, *store.parent.rglob("*.log")]:  # the password is stored nowhere
        assert b"wonderland" not in path.read_bytes(), path


def test_a_json_login_with_a_token_scheme_is_found_by_its_route_and_body(tmp_path):
    proc, _, rows, _ = _collect(tmp_path, "tests.apps.json_login:app",
                                "--login", "jake@jake.jake:jakejake")
    assert "via POST /users/login (a login route); sending Authorization: Token <token>" in proc.stderr
    assert {r[0] for r in rows} >= {"POST /users/login", "GET /user", "GET /articles/feed",
                                    "GET /profiles/{username}"}
    _all_succeed([r for r in rows if r[0] != "PUT /profiles/{username}"])
    # No route lists users: the username is the logged-in user's own, for reads only: a write
    # with it would change the logged-in user (here, their password).
    assert "username=jake (from GET /user (the logged-in user))" in proc.stderr
    assert [r[2] for r in rows if r[0] == "PUT /profiles/{username}"] == [0]


def test_an_http_basic_app_gets_the_user_on_every_request(tmp_path):
    """The document's only scheme is HTTP Basic: --login sends the user and password as
    `Authorization: Basic ...` with each request (found on a public todo app, where perf logged
    in at its login route and sent the answer as a Bearer token: every protected route 401)."""
    proc, store, rows, _ = _collect(tmp_path, "tests.apps.basic_auth:app", "--login", "alice:alice-pw-123")
    assert ("logged in as alice via HTTP Basic (the document's security scheme); "
            "sending Authorization: Basic <token>") in proc.stderr
    assert {r[0] for r in rows} >= {"GET /user", "GET /tasks", "POST /tasks", "GET /tasks/{task_id}"}
    _all_succeed(rows)
    for path in [store, *store.parent.rglob("*.log")]:  # neither the password nor its Basic form
        assert b"alice-pw-123" not in path.read_bytes(), path
        assert b"YWxpY2U6YWxpY2UtcHctMTIz" not in path.read_bytes(), path


def test_a_refused_login_is_one_line_and_nothing_is_attacked(tmp_path):
    proc = run_perf(["collect", "--app", "tests.apps.json_login:app", "--login",
                     "jake@jake.jake:nope", *TINY, "--store", str(tmp_path / "s.duckdb")], tmp_path)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == (
        "perf: error: --login: POST /users/login answered 401 (email or password is invalid): "
        "check the user and password (or name the route with --login-route)")
    assert "nope" not in proc.stderr


def test_ids_that_exist_only_once_created_are_learned_nested_and_in_bodies(tmp_path):
    proc, _, rows, _ = _collect(tmp_path, "tests.apps.notebooks:app")
    assert len(rows) == 8  # incl. GET /notebooks/{notebook_id}/notes/{note_id}, POST /tags
    _all_succeed(rows)
    assert "notebook_id=" in proc.stderr and "(from POST /notebooks)" in proc.stderr


def test_uuid4_keys_typed_fields_uploads_and_a_lookup_by_another_field(tmp_path):
    _, _, rows, _ = _collect(tmp_path, "tests.apps.devices:app")
    assert {r[0] for r in rows} >= {"GET /devices/{device_id}", "GET /devices/serial/{serial}",
                                    "PUT /devices/{device_id}/photo", "GET /devices", "GET /lookup"}
    _all_succeed(rows)


def test_the_dry_run_names_the_login_and_where_each_value_came_from(tmp_path):
    env = {"APP_STATE_DB": str(tmp_path / "state.sqlite")}
    _collect(tmp_path, "tests.apps.expiring_login:app", "--login", "bob:builder",
             "--endpoint", "POST /projects", EXPIRING_LOGIN_TTL_S="60")  # bob now has a project
    proc = run_perf(["collect", "--app", "tests.apps.expiring_login:app", "--login", "bob:builder",
                     "--dry-run", "--format", "json"], tmp_path, EXPIRING_LOGIN_TTL_S="60", **env)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["login"].startswith("logged in as bob via POST /auth/token")
    assert [(v["param"], v["from"]) for v in plan["values"]] == [("project_id", "GET /projects")]
    assert "builder" not in proc.stdout


def test_a_404_on_an_id_in_the_body_is_blamed_on_that_id_not_on_a_url(tmp_path):
    """The run keeps what the hints need of each operation (failure_facts): POST /tags names its
    notebook in the body; a --param naming none that exists is called out as such."""
    proc, _, rows, config = _collect(tmp_path, "tests.apps.notebooks:app", "--endpoint",
                                     "POST /tags", "--param", "POST /tags:notebook_id=999999")
    assert rows[0][2] == 0
    assert config["failure_facts"]["POST /tags"]["id_fields"] == ["notebook_id"]
    assert ("every request failed: POST /tags: HTTP 404 (Notebook not found): the --param "
            "notebook_id given names none that exists") in proc.stderr
    assert "--url" not in proc.stderr
