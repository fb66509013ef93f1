"""discover(): selection before building, skip reasons, --param/--header, unique fields,
determinism, the targets perf writes (JSON, form, multipart), previews and masking."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import urllib.parse

import pytest

from perf.collector.requests.discovery import METHODS_DEFAULT, Overrides, discover
from perf.collector.settings.request_options import parse_header, parse_methods, parse_param
from perf.collector.settings.secrets import mask
from perf.base.errors import PerfError
from tests.schema_check import assert_valid

SPEC = {
    "openapi": "3.1.0",
    "servers": [{"url": "/api/v2"}],
    "paths": {
        "/health": {"get": {}},  # NEVER_ATTACK, like the docs routes: left out silently
        "/status": {"get": {"x-perf-skip": True}},
        "/openapi.json": {"get": {}},
        "/seed": {"post": {"x-perf-setup": True}},
        "/things/{thing_id}": {
            "parameters": [{"name": "thing_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 3}}],
            "get": {},
            "put": {"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Thing"}}}}},
            "delete": {},
            "head": {},
        },
        "/named/{slug}": {"get": {"parameters": [
            {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
             "example": "abc"}]}},
        "/things": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Thing"},
            "examples": {"first": {"value": {"name": "from-example", "size": 2}}}}}}}},
        "/list": {"get": {"parameters": [
            {"name": "limit", "in": "query", "required": True, "schema": {"type": "integer"},
             "example": 5},
            {"name": "q", "in": "query", "schema": {"type": "string"}},
            {"name": "X-Trace", "in": "header", "required": True,
             "schema": {"type": "string", "format": "uuid"}},
            {"name": "session", "in": "cookie", "required": True,
             "schema": {"type": "string", "minLength": 6}}]}},
        "/raw": {"post": {"requestBody": {"required": True, "content": {
            "text/csv": {"schema": {"type": "string"}}}}}},
        "/broken/{x}": {"get": {"parameters": [
            {"name": "x", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 9, "maximum": 1}}]}},
    },
    "components": {"schemas": {"Thing": {
        "type": "object", "required": ["name", "size"],
        "properties": {"name": {"type": "string", "minLength": 2},
                       "size": {"type": "integer", "minimum": 1, "maximum": 9},
                       "sku": {"type": "string", "pattern": "^[A-Z]{3}[0-9]{4}$"}}}}},
}


def names(endpoints):
    return [e.name for e in endpoints]


def targets(endpoint, tmp_path, count=5, salt="s1", base="http://h:1"):
    path = endpoint.write_targets(base, tmp_path / "t.jsonl", count=count, salt=salt)
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_defaults_attack_get_post_put_patch_and_say_what_was_left_out():
    found = discover(SPEC)
    assert METHODS_DEFAULT == ("GET", "POST", "PUT", "PATCH")
    assert names(found.endpoints) == ["GET /things/{thing_id}", "PUT /things/{thing_id}",
                                      "GET /named/{slug}", "POST /things", "GET /list"]
    assert names(found.setup) == ["POST /seed"]
    assert [(s.name, s.reason) for s in found.skipped] == [
        ("GET /status", "x-perf-skip"),
        ("DELETE /things/{thing_id}", "DELETE is left out unless --methods includes it"),
        ("HEAD /things/{thing_id}", "HEAD is not in --methods (GET,POST,PUT,PATCH)"),
        ("POST /raw", "request body: text/csv is not supported"),
        ("GET /broken/{x}", "path parameter 'x': no number between 9 and 1"),
    ]
    assert found.prefix == "/api/v2"
    assert "GET /openapi.json" in found.operations and found.unmatched == []


def test_selection_comes_before_building_so_an_unbuildable_operation_outside_it_is_silent():
    found = discover(SPEC, Overrides(filters=("/things",)))
    assert names(found.endpoints) == ["GET /things/{thing_id}", "PUT /things/{thing_id}",
                                      "POST /things"]
    assert [s.name for s in found.skipped] == ["DELETE /things/{thing_id}",
                                               "HEAD /things/{thing_id}"]
    assert names(discover(SPEC, Overrides(filters=("/thing",))).endpoints) == []
    assert discover(SPEC, Overrides(filters=("/thing",))).unmatched == ["/thing"]


def test_endpoint_names_one_operation_and_a_named_method_is_attacked_even_if_not_in_methods():
    found = discover(SPEC, Overrides(endpoints=("delete /things/{thing_id}", "/named/{slug}")))
    assert names(found.endpoints) == ["DELETE /things/{thing_id}", "GET /named/{slug}"]
    found = discover(SPEC, Overrides(endpoints=("/things/{thing_id}",)))  # a bare path
    assert names(found.endpoints) == ["GET /things/{thing_id}", "PUT /things/{thing_id}"]
    found = discover(SPEC, Overrides(methods=("GET", "DELETE"), filters=("/things",)))
    assert names(found.endpoints) == ["GET /things/{thing_id}", "DELETE /things/{thing_id}"]
    assert ("PUT /things/{thing_id}", "PUT is not in --methods (GET,DELETE)") in [
        (s.name, s.reason) for s in found.skipped]


def test_ranged_ids_cycle_and_other_values_come_from_examples(tmp_path):
    by = {e.name: e for e in discover(SPEC).endpoints}
    urls = [t["url"] for t in targets(by["GET /things/{thing_id}"], tmp_path, count=10)]
    assert urls == ["http://h:1/things/1", "http://h:1/things/2", "http://h:1/things/3"]
    assert [t["url"] for t in targets(by["GET /things/{thing_id}"], tmp_path, count=2)] == [
        "http://h:1/things/1", "http://h:1/things/2"]
    assert [t["url"] for t in targets(by["GET /named/{slug}"], tmp_path)] == [
        "http://h:1/named/abc"]
    lines = targets(by["POST /things"], tmp_path)
    line = lines[0]
    assert line["method"] == "POST" and line["header"]["Content-Type"] == ["application/json"]
    body = json.loads(base64.b64decode(line["body"]))
    assert body["size"] == 2 and body["name"].startswith("name-")  # a name may be unique
    assert by["POST /things"].body_example == {"name": "from-example", "size": 2}
    assert by["GET /named/{slug}"].body_example is None


def test_header_and_cookie_parameters_are_generated_and_an_optional_query_only_on_request(
        tmp_path):
    endpoint = next(e for e in discover(SPEC).endpoints if e.name == "GET /list")
    (line,) = targets(endpoint, tmp_path)
    assert line["url"] == "http://h:1/list?limit=5"
    assert_valid(line["header"]["X-Trace"][0], {"type": "string", "format": "uuid"})
    cookie = line["header"]["Cookie"][0]
    assert cookie.startswith("session=") and len(cookie) >= len("session=") + 6
    found = discover(SPEC, Overrides(params=(("q", "a b&c"), ("limit", "7"))))
    (line,) = targets(next(e for e in found.endpoints if e.name == "GET /list"), tmp_path)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(line["url"]).query) == {
        "limit": ["7"], "q": ["a b&c"]}


def test_param_sets_path_values_and_top_level_body_fields_typed_for_json(tmp_path):
    found = discover(SPEC, Overrides(params=(("thing_id", "42"), ("size", "7"),
                                             ("name", "zz"))))
    by = {e.name: e for e in found.endpoints}
    assert [t["url"] for t in targets(by["GET /things/{thing_id}"], tmp_path)] == [
        "http://h:1/things/42"]
    (line,) = targets(by["PUT /things/{thing_id}"], tmp_path)
    assert json.loads(base64.b64decode(line["body"])) == {"name": "zz", "size": 7}
    (line,) = targets(by["POST /things"], tmp_path)
    assert json.loads(base64.b64decode(line["body"])) == {"name": "zz", "size": 7}


def test_header_values_go_on_every_request_replacing_a_generated_header_param(tmp_path):
    found = discover(SPEC, Overrides(headers=(("x-trace", "fixed"),
                                              ("Authorization", "Bearer s3cret"))))
    endpoint = next(e for e in found.endpoints if e.name == "GET /list")
    (line,) = targets(endpoint, tmp_path)
    assert line["header"]["x-trace"] == ["fixed"] and "X-Trace" not in line["header"]
    assert line["header"]["Authorization"] == ["Bearer s3cret"]
    preview = endpoint.preview("http://h:1")
    assert preview["headers"]["Authorization"] == "Bearer ***"
    assert preview["headers"]["x-trace"] == "***"
    assert "s3cret" not in json.dumps(preview)
    method, url, headers, body = endpoint.first_request("http://h:1")
    assert (method, url, body) == ("GET", "http://h:1/list?limit=5", None)
    assert headers["Authorization"] == "Bearer s3cret"


UNIQUE = {
    "openapi": "3.1.0",
    "paths": {"/users": {"post": {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/User"},
                             "example": {"email": "a@example.com", "username": "alice",
                                         "age": 30}}}}}}},
    "components": {"schemas": {"User": {
        "type": "object", "required": ["email", "username", "age"],
        "properties": {"email": {"type": "string", "format": "email"},
                       "username": {"type": "string", "minLength": 3, "maxLength": 16,
                                    "pattern": "^[a-z0-9-]+$"},
                       "age": {"type": "integer"}}}}},
}


def test_unique_fields_vary_per_line_and_per_salt_even_with_an_example(tmp_path):
    (endpoint,) = discover(UNIQUE).endpoints
    bodies = []
    for salt in ("attack-1", "attack-2"):
        lines = targets(endpoint, tmp_path, count=50, salt=salt)
        assert len(lines) == 50
        bodies += [json.loads(base64.b64decode(t["body"])) for t in lines]
    schema = UNIQUE["components"]["schemas"]["User"]
    for body in bodies:
        assert_valid(body, schema)
        assert body["age"] == 30
    assert len({b["email"] for b in bodies}) == 100
    assert len({b["username"] for b in bodies}) == 100
    # deterministic for (spec, overrides, count, salt): a second discovery writes the same
    again = targets(discover(UNIQUE).endpoints[0], tmp_path, count=50, salt="attack-2")
    assert [json.loads(base64.b64decode(t["body"])) for t in again] == bodies[50:]


def test_without_body_the_content_type_stays_for_vegetas_body_flag(tmp_path):
    (endpoint,) = discover(UNIQUE).endpoints
    path = endpoint.write_targets("http://h", tmp_path / "t.jsonl", count=1, salt="x",
                                  with_body=False)
    (line,) = [json.loads(x) for x in path.read_text().splitlines()]
    assert "body" not in line and line["header"]["Content-Type"] == ["application/json"]


FORMS = {
    "openapi": "3.1.0",
    "paths": {
        "/login": {"post": {"requestBody": {"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": {
                "type": "object", "required": ["username", "password", "scopes"],
                "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                               "scopes": {"type": "array", "items": {"type": "string"},
                                          "minItems": 2},
                               "remember": {"type": "boolean", "examples": [True]}}}}}}}},
        "/upload": {"post": {"requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": {"$ref": "#/components/schemas/Upload"},
                                    "encoding": {"file": {"contentType": "image/png"}}}}}}},
        "/both": {"post": {"requestBody": {"content": {
            "multipart/form-data": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object", "required": ["a"],
                                            "properties": {"a": {"type": "integer"}}}}}}}},
    },
    "components": {"schemas": {"Upload": {
        "type": "object", "required": ["file", "more", "note", "count"],
        "properties": {"file": {"type": "string", "format": "binary"},
                       "more": {"type": "array", "items": {
                           "type": "string", "contentMediaType": "application/octet-stream"}},
                       "note": {"type": "string"}, "count": {"type": "integer"}}}}},
}


def test_form_bodies_are_urlencoded_and_param_fills_a_login(tmp_path):
    found = discover(FORMS, Overrides(params=(("username", "alice"), ("password", "p@ss w"))))
    login = found.endpoints[0]
    (line,) = targets(login, tmp_path)
    assert line["header"]["Content-Type"] == ["application/x-www-form-urlencoded"]
    form = urllib.parse.parse_qs(base64.b64decode(line["body"]).decode())
    assert form["username"] == ["alice"] and form["password"] == ["p@ss w"]
    assert len(form["scopes"]) == 2 and form["remember"] == ["true"]
    preview = login.preview("http://h")
    assert "p%40ss" not in preview["body"] and "p@ss w" not in preview["body"]
    assert "***" in preview["body"] and "alice" in preview["body"]


def test_multipart_bodies_carry_small_files_with_a_fixed_boundary(tmp_path):
    upload = discover(FORMS).endpoints[1]
    (line,) = targets(upload, tmp_path)
    (content_type,) = line["header"]["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    body = base64.b64decode(line["body"])
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = [(p.get_param("name", header="content-disposition"), p.get_filename(),
              p.get_content_type(), p.get_payload(decode=True)) for p in message.iter_parts()]
    # a file of the declared type: a real 1x1 PNG where the route takes image/png
    assert [p[:3] for p in parts] == [("file", "perf-upload.png", "image/png"),
                                      ("more", "perf-upload.txt", "application/octet-stream"),
                                      ("note", None, "text/plain"), ("count", None, "text/plain")]
    assert parts[3][3] == b"1" and parts[0][3].startswith(b"\x89PNG\r\n\x1a\n")
    assert targets(upload, tmp_path, salt="other") == [line]  # nothing varies: one fixed body


def test_json_is_preferred_when_an_operation_offers_several_media_types(tmp_path):
    (line,) = targets(discover(FORMS).endpoints[2], tmp_path)
    assert line["header"]["Content-Type"] == ["application/json"]
    assert json.loads(base64.b64decode(line["body"])) == {"a": 1}


def test_parameters_may_be_refs_and_a_template_name_must_be_declared_or_given(tmp_path):
    spec = {"openapi": "3.0.3", "paths": {
        "/a/{id}": {"get": {"parameters": [{"$ref": "#/components/parameters/Id"}]}},
        "/b/{undeclared}": {"get": {}}},
        "components": {"parameters": {"Id": {"name": "id", "in": "path", "required": True,
                                             "schema": {"type": "string", "nullable": True,
                                                        "format": "uuid"}}}}}
    found = discover(spec)
    assert [t["url"] for t in targets(found.endpoints[0], tmp_path)][0].startswith("http://h:1/a/")
    assert [(s.name, s.reason) for s in found.skipped] == [
        ("GET /b/{undeclared}",
         "path parameter 'undeclared' is not declared; give it with --param")]
    found = discover(spec, Overrides(params=(("undeclared", "x/y"),)))
    assert [t["url"] for t in targets(found.endpoints[1], tmp_path)] == ["http://h:1/b/x/y"]


def test_the_document_must_be_openapi_3():
    with pytest.raises(PerfError, match="not OpenAPI 3"):
        discover({"swagger": "2.0", "paths": {}})


def test_auth_hints_come_from_security_schemes_and_param_gives_a_query_api_key(tmp_path):
    spec = {"openapi": "3.1.0", "security": [{"key": []}],
            "paths": {"/a": {"get": {}}, "/b": {"get": {"security": [{"oauth": []}]}},
                      "/c": {"get": {"security": []}},
                      "/d": {"get": {"security": [{"query_key": []}]}}},
            "components": {"securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "query_key": {"type": "apiKey", "in": "query", "name": "api_key"},
                "oauth": {"type": "oauth2", "flows": {}}}}}
    found = discover(spec)
    assert [e.auth for e in found.endpoints] == [
        ("X-API-Key: <key>",), ("Authorization: Bearer <token>",), (),
        ("--param api_key=<key> (query)",)]
    assert targets(found.endpoints[3], tmp_path)[0]["url"] == "http://h:1/d"
    given = discover(spec, Overrides(params=(("api_key", "k3y"),))).endpoints[3]
    assert targets(given, tmp_path)[0]["url"] == "http://h:1/d?api_key=k3y"
    assert targets(discover(spec, Overrides(params=(("api_key", "k3y"),))).endpoints[0],
                   tmp_path)[0]["url"] == "http://h:1/a"  # only where security asks for it


def test_mask_and_the_option_parsers():
    assert mask("Bearer abc.def") == "Bearer ***"
    assert mask("abc") == "***" and mask("") == ""
    assert parse_header("X-Token:  abc: d ") == ("X-Token", "abc: d")
    with pytest.raises(PerfError, match=r'bad --header .*expected "Name: value"') as err:
        parse_header("no colon secret")
    assert "secret" not in str(err.value)
    assert parse_param("q=a=b") == ("q", "a=b")
    with pytest.raises(PerfError, match="expected name=value"):
        parse_param("novalue")
    assert parse_methods("get, post,DELETE") == ("GET", "POST", "DELETE")
    with pytest.raises(PerfError, match="bad --methods 'GET,FETCH'"):
        parse_methods("GET,FETCH")


def test_previews_are_one_line_excerpts_and_show_a_multipart_body_as_its_fields():
    upload = discover(FORMS).endpoints[1]
    preview = upload.preview("http://h")
    assert preview["body"] == ("multipart: file=<perf-upload.png, 69 bytes>, "
                               "more=<perf-upload.txt, 12 bytes>, note=perf, count=1")
    assert preview["content_type"].startswith("multipart/form-data; boundary=")
    big = {"openapi": "3.1.0", "paths": {"/big": {"post": {"requestBody": {"content": {
        "application/json": {"schema": {"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string", "minLength": 5000}}}}}}}}}}
    excerpt = discover(big).endpoints[0].preview("http://h")["body"]
    assert len(excerpt) == 200 and excerpt.startswith('{"text":"perf') and excerpt.endswith("...")
