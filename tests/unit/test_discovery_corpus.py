"""Discovery on every app of the corpus (tests/apps): the operations it attacks and skips, every
generated value valid under the document's own schema (checked independently), and the app's own
word on the requests: sent in-process to each app, and over real HTTP to one app under uvicorn.
"""

from __future__ import annotations

import base64
import importlib
import json

import pytest
from fastapi.testclient import TestClient

from perf.collector.requests.discovery import Overrides, discover
from perf.collector.requests.operation import Body
from tests.apps.corpus import BY_NAME, CORPUS, CorpusApp
from tests.schema_check import assert_valid

SALTS = ("attack-1", "attack-2")
LINES = 4


def load_app(entry: CorpusApp):
    module, attr = entry.app.split(":")
    app = getattr(importlib.import_module(module), attr)
    return app() if entry.factory else app


@pytest.fixture(scope="module")
def served():
    """Each app's served OpenAPI document (what perf reads), and a client with its lifespan
    running; closed at the end of the module."""
    opened = {}
    yield lambda entry: opened.get(entry.name) or opened.setdefault(entry.name, _open(entry))
    for client, _ in opened.values():
        client.__exit__(None, None, None)


def _open(entry: CorpusApp):
    client = TestClient(load_app(entry), raise_server_exceptions=False)
    client.__enter__()
    response = client.get(entry.openapi_url)
    assert response.status_code == 200, f"{entry.name}: {entry.openapi_url} -> {response}"
    return client, response.json()


def schema_in_document(spec: dict, endpoint, part) -> dict:
    """The schema a value must validate against, looked up in the document itself."""
    operation = spec["paths"][endpoint.path][endpoint.method.lower()]
    if isinstance(part, Body):
        return operation["requestBody"]["content"][part.media_type]["schema"]
    params = [*spec["paths"][endpoint.path].get("parameters", []),
              *operation.get("parameters", [])]
    (param,) = [p for p in params if p["name"] == part.name and p["in"] == part.location]
    return param["schema"]


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
def test_discovery_builds_every_expected_operation_and_skips_exactly_what_it_should(
        entry, served):
    _, spec = served(entry)
    found = discover(spec, entry.overrides())
    assert tuple(e.name for e in found.endpoints) == entry.attacked
    assert {s.name for s in found.skipped} == set(entry.skipped)
    for skipped in found.skipped:
        assert entry.skipped[skipped.name] in skipped.reason
    assert found.prefix == entry.prefix and found.unmatched == []
    every = discover(spec, Overrides(methods=("GET", "POST", "PUT", "PATCH", "DELETE")))
    assert every.skipped == []  # nothing in the corpus is beyond perf
    for name in entry.failing:
        assert name in every.operations and name not in entry.attacked


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
def test_every_generated_value_validates_against_the_documents_schema(entry, served, tmp_path):
    _, spec = served(entry)
    found = discover(spec, Overrides(methods=("GET", "POST", "PUT", "PATCH", "DELETE"),
                                     params=entry.params, headers=entry.headers))
    checked = 0
    for endpoint in found.endpoints:
        for salt in SALTS:
            targets = endpoint.write_targets("http://h", tmp_path / "t.jsonl", count=LINES,
                                             salt=salt)
            lines = [json.loads(x) for x in targets.read_text().splitlines()]
            for index, line in enumerate(lines):
                for part, value in endpoint.source.values(index, salt):
                    if getattr(part, "given", None) is True:
                        continue  # the user's --param value, sent as typed
                    assert_valid(value, schema_in_document(spec, endpoint, part), spec)
                    checked += 1
                    if isinstance(part, Body) and "json" in part.media_type:
                        sent = json.loads(base64.b64decode(line["body"]))
                        assert sent == ({**value, **part.given} if part.given else value)
    assert checked >= len(found.endpoints)


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
def test_each_app_accepts_the_requests_perf_generates(entry, served):
    client, spec = served(entry)
    found = discover(spec, entry.overrides())
    for endpoint in found.endpoints:
        for salt in SALTS:
            for index in range(endpoint.source.lines(LINES)):
                url, headers, body = endpoint.request("http://testserver" + found.prefix,
                                                      index, salt)
                answer = client.request(endpoint.method, url, headers=headers, content=body)
                assert 200 <= answer.status_code < 300, (
                    f"{endpoint.name} #{index} {url} -> {answer.status_code}: {answer.text[:300]}")
    for name, status in entry.failing.items():
        (endpoint,) = discover(spec, Overrides(endpoints=(name,))).endpoints
        method, url, headers, body = endpoint.first_request("http://testserver")
        assert client.request(method, url, headers=headers, content=body).status_code == status


def test_without_the_options_an_app_refuses_perfs_requests():
    """The options in the manifest are needed: without --header, perf generates the required
    X-Token header parameter like any other, and the app refuses the made-up value."""
    entry = BY_NAME["token_header"]
    client, spec = _open(entry)
    try:
        (endpoint,) = discover(spec, Overrides(endpoints=("GET /stock",))).endpoints
        method, url, headers, body = endpoint.first_request("http://testserver")
        assert headers["x-token"] == "perf"
        assert client.request(method, url, headers=headers).status_code == 401
    finally:
        client.__exit__(None, None, None)


