"""Issue 19, defects 3, 4, 7: a hint fits the failure and what the run already sent."""

from __future__ import annotations

import json
from types import SimpleNamespace

from perf.reporter.compute.why_failed import failure_rows
from perf.reporter.rows import AttackRow, RunRow
from perf.store.failures import FailureContext, likely_fix

NONE = FailureContext()
LOGGED_IN = FailureContext(credentials=True, login=True)


def _body(detail: str) -> bytes:
    return json.dumps({"detail": detail}).encode()


def test_a_refused_login_asks_for_login_credentials_not_a_header():
    for code, body, path in [(401, _body("Not authenticated"), "/token"),
                             (400, _body("LOGIN_BAD_CREDENTIALS"), "/auth/jwt/login"),
                             (400, _body("Incorrect email or password"), "/api/v1/login/access-token")]:
        hint = likely_fix(code, body, None, path)
        assert "--login USER:PASSWORD" in hint and "--header" not in hint, hint
    assert likely_fix(400, _body("Incorrect email or password"), None, "/login",
                      context=LOGGED_IN).endswith("refused the user and password of --login")


def test_401_and_403_depend_on_whether_credentials_were_sent():
    assert "--login USER:PASSWORD" in likely_fix(401, _body("Not authenticated"), None, "/items")
    sent = likely_fix(401, _body("Token expired"), None, "/items", context=LOGGED_IN)
    assert "credentials sent were refused" in sent and "--login" not in sent
    other = likely_fix(403, _body("Not your project"), None, "/projects/{id}", context=LOGGED_IN)
    assert "this user may not do this" in other and "wants credentials" not in other
    assert "wants credentials" in likely_fix(403, None, None, "/admin")


def test_a_404_is_blamed_on_what_the_request_names_unless_a_url_was_given():
    body = _body("Notebook not found")
    assert "an id in its body or query" in likely_fix(404, body, None, "/tags")
    assert "prefix missing from --url" in likely_fix(404, body, None, "/tags",
                                                      context=FailureContext(url_given=True))
    given = FailureContext(params=frozenset({"slug"}))
    hint = likely_fix(404, body, None, "/articles/{slug}", context=given)
    assert "the --param slug given names none that exists" in hint and "=VALUE" not in hint
    assert "--param slug=VALUE" in likely_fix(404, body, None, "/articles/{slug}")


def test_the_context_of_a_run_comes_from_its_stored_config():
    context = FailureContext.of_run({"headers": [], "params": ["slug=x", "POST /a:email=y"],
                                     "login": "alice:***", "url": None})
    assert context == FailureContext(credentials=True, login=True,
                                     params=frozenset({"slug", "email"}), url_given=False)


def test_no_response_is_labelled_with_the_error_of_the_requests_that_got_none():
    report = SimpleNamespace(
        runs=[RunRow("r", config={})],
        attacks=[AttackRow(1, run_id="r", endpoint="GET /x", path="/x", metrics={"requests": 10})],
        statuses={1: {500: 6, 0: 4}},
        errors={1: {"500 Internal Server Error": 6, "read: connection reset by peer": 4}},
        error_samples={})
    rows = {r["code"]: r["fix"] for r in failure_rows(report)}
    assert rows[0].startswith("the server closed the connection without answering"), rows[0]


def test_a_404_names_the_id_field_of_the_request_and_says_when_the_route_declares_it():
    """What the run stored of the operation (failure_facts): it declares 404, its id fields."""
    body = _body("Notebook not found")
    facts = FailureContext(declares_404=True, id_fields=("notebook_id",))
    hint = likely_fix(404, body, None, "/tags", context=facts)
    assert "the app says no such item" in hint and "--param notebook_id=VALUE" in hint, hint
    given = FailureContext(params=frozenset({"notebook_id"}), id_fields=("notebook_id",))
    hint = likely_fix(404, body, None, "/tags", context=given)
    assert "the --param notebook_id given names none that exists" in hint and "=VALUE" not in hint
    # A declared 404 is the app speaking, even with --url: no prefix is blamed.
    declared = FailureContext(url_given=True, declares_404=True)
    assert "--url" not in likely_fix(404, body, None, "/tags", context=declared)


def test_the_facts_of_an_operation_come_from_the_runs_config():
    config = {"params": ["notebook_id=9"],
              "failure_facts": {"POST /tags": {"declares_404": True, "id_fields": ["notebook_id"]}}}
    context = FailureContext.of_operation(config, "POST /tags")
    assert context.declares_404 and context.id_fields == ("notebook_id",)
    assert context.params == frozenset({"notebook_id"})
    assert FailureContext.of_operation(config, "GET /other") == FailureContext.of_run(config)


def test_a_redirect_counted_as_a_failure_says_so():
    hint = likely_fix(308, b"", None, "/old")
    assert hint.startswith("HTTP 308: a redirect") and "--success 2xx" in hint


def test_a_declared_404_on_a_path_id_says_no_such_item_once():
    hint = likely_fix(404, _body("Not Found"), None, "/users/{id}",
                      context=FailureContext(declares_404=True))
    assert hint.count("no such item") == 1 and "--param id=VALUE" in hint, hint


def test_a_route_that_never_answers_may_be_an_undeclared_stream():
    error = "Get \"http://127.0.0.1:1/sse\": context deadline exceeded"
    every = likely_fix(0, None, error, "/api/components/sse", every=True)
    assert every.endswith("raise --timeout; a route that never ends (a stream) needs --exclude")
    some = likely_fix(0, None, error, "/api/components/sse", every=False)
    assert some.endswith("lower --rates or raise --timeout")
