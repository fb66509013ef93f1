"""--targets FILE: vegeta's JSON and http formats, grouped by method + path, the host swapped
for the server perf attacks, --header added, and a file:line for anything unreadable."""

from __future__ import annotations

import base64
import json

import pytest

from perf.collector.requests.discovery import Overrides
from perf.collector.requests.targets_file import load_targets
from perf.base.errors import PerfError


def written(endpoint, tmp_path, base="http://127.0.0.1:9999/"):
    path = endpoint.write_targets(base, tmp_path / "out.jsonl", count=1, salt="ignored")
    return [json.loads(line) for line in path.read_text().splitlines()]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_json_targets_are_grouped_by_method_and_path_and_sent_as_written(tmp_path):
    lines = [
        {"method": "GET", "url": "http://example.com:8000/items?page=1"},
        {"method": "POST", "url": "http://example.com:8000/items",
         "header": {"Content-Type": ["application/json"], "X-Req": ["a", "b"]},
         "body": b64(b'{"name":"x","tags":[1]}')},
        {"method": "GET", "url": "http://example.com:8000/items?page=2"},
        {"method": "get", "url": "/items/7"},  # a bare path works too
    ]
    source = tmp_path / "targets.jsonl"
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    found = load_targets(source, Overrides(headers=(("Authorization", "Bearer t0ken"),)))
    assert [e.name for e in found.endpoints] == ["GET /items", "POST /items", "GET /items/7"]
    assert found.operations == ["GET /items", "POST /items", "GET /items/7"]
    get, post, one = found.endpoints
    assert [t["url"] for t in written(get, tmp_path)] == [
        "http://127.0.0.1:9999/items?page=1", "http://127.0.0.1:9999/items?page=2"]
    (target,) = written(post, tmp_path)
    assert base64.b64decode(target["body"]) == b'{"name":"x","tags":[1]}'
    assert target["header"] == {"Content-Type": ["application/json"], "X-Req": ["a, b"],
                                "Authorization": ["Bearer t0ken"]}
    assert post.body_example == {"name": "x", "tags": [1]} and get.body_example is None
    assert written(one, tmp_path)[0]["url"] == "http://127.0.0.1:9999/items/7"
    assert post.preview("http://h")["headers"]["Authorization"] == "Bearer ***"


def test_http_targets_with_headers_comments_body_files_and_back_to_back_requests(tmp_path):
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "new.json").write_bytes(b'{"a": 1}')
    source = tmp_path / "targets.http"
    source.write_text(
        "# a comment\n"
        "GET http://goku:9090/path/to/dragon?item=ball\n"
        "X-Account-ID: 8675309\n"
        "\n"
        "POST http://goku:9090/things\n"
        "Content-Type: application/json\n"
        "@bodies/new.json\n"
        "\n"
        "GET http://goku:9090/a\n"
        "GET http://goku:9090/b\n"
        "X-Token: old\n")
    found = load_targets(source, Overrides(headers=(("x-token", "new"),)))
    assert [e.name for e in found.endpoints] == ["GET /path/to/dragon", "POST /things",
                                                 "GET /a", "GET /b"]
    dragon, things, _, b = (written(e, tmp_path)[0] for e in found.endpoints)
    assert dragon["url"] == "http://127.0.0.1:9999/path/to/dragon?item=ball"
    assert dragon["header"] == {"X-Account-ID": ["8675309"], "x-token": ["new"]}
    assert base64.b64decode(things["body"]) == b'{"a": 1}'
    assert b["header"] == {"x-token": ["new"]}  # --header replaced the file's X-Token


def test_filter_and_endpoint_select_among_the_files_endpoints(tmp_path):
    source = tmp_path / "t.http"
    source.write_text("GET http://h/a/1\n\nDELETE http://h/a/1\n\nGET http://h/b\n")
    found = load_targets(source, Overrides(filters=("/a",)))
    # a targets file is attacked as written: its DELETE is not held back by the default methods
    assert [e.name for e in found.endpoints] == ["GET /a/1", "DELETE /a/1"]
    found = load_targets(source, Overrides(endpoints=("GET /b", "GET /nope")))
    assert [e.name for e in found.endpoints] == ["GET /b"] and found.unmatched == ["GET /nope"]


@pytest.mark.parametrize("content,message", [
    ("", "no targets in the file"),
    ("# only a comment\n", "no targets in the file"),
    ('{"method": "GET", "url": "http://h/a"}\n{"method": "GET"\n', ":2: not a JSON target"),
    ('{"url": "http://h/a"}\n', ':1: the target has no "method"'),
    ('{"method": "GET", "url": "http://h/a", "body": "not base64!"}\n', ':1: "body" is not base64'),
    ('{"method": "GET", "url": "http://h/a", "header": {"A": 1}}\n', ':1: "header" must map'),
    ('{"method": "GET", "url": "http://h/a"}\n[1, 2]\n', ":2: not a JSON target"),
    ('{"method": "GET", "url": "http://h"}\n', ":1: the URL 'http://h' has no path"),
    ("GET http://h/a\nnot a header\n", ":2: expected a \"Name: value\" header"),
    ("get http://h/a\n", ':1: expected "METHOD URL"'),
    ("GET http://h/a\n@missing.json\n", ":2: cannot read body file"),
])
def test_an_unreadable_targets_file_names_the_file_and_line(tmp_path, content, message):
    source = tmp_path / "bad.targets"
    source.write_text(content)
    with pytest.raises(PerfError, match=message) as err:
        load_targets(source, Overrides())
    assert str(source) in str(err.value) and "\n" not in str(err.value)


def test_a_missing_or_binary_targets_file_is_one_line(tmp_path):
    with pytest.raises(PerfError, match="cannot read --targets .*nope.jsonl: No such file"):
        load_targets(tmp_path / "nope.jsonl", Overrides())
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PerfError, match="cannot read --targets"):
        load_targets(binary, Overrides())
