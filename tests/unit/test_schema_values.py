"""Values from JSON Schema: each keyword perf reads, every value checked by an independent
jsonschema validator (tests/schema_check.py), determinism, unique variation, the reasons
given when no value fits."""

from __future__ import annotations

import re

import pytest

from perf.collector.requests.schema.document import Schemas
from perf.collector.requests.schema.errors import Unbuildable
from perf.collector.requests.schema.examples import holder_examples
from perf.collector.requests.schema.names import looks_unique, token
from tests.schema_check import assert_valid, errors

COMPONENTS = {"schemas": {
    "Address": {"type": "object", "required": ["city", "zip"], "properties": {
        "city": {"type": "string", "minLength": 2},
        "zip": {"type": "string", "pattern": r"^\d{5}$"},
        "note": {"type": "string", "examples": ["ring twice"]},
        "floor": {"type": "integer"}}},
    "Person": {"type": "object", "required": ["name", "home"], "properties": {
        "name": {"type": "string"}, "home": {"$ref": "#/components/schemas/Address"}}},
    "Node": {"type": "object", "required": ["label", "children"], "properties": {
        "label": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        "parent": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]}}},
    "Cat": {"type": "object", "required": ["pet_type", "lives"], "properties": {
        "pet_type": {"type": "string"}, "lives": {"type": "integer", "minimum": 1}}},
    "Dog": {"type": "object", "required": ["pet_type", "bark"], "properties": {
        "pet_type": {"type": "string"}, "bark": {"type": "string", "enum": ["woof", "yip"]}}},
}}
DOC = {"openapi": "3.1.0", "components": COMPONENTS}

# (schema, a check on the value beyond validity)
CASES = [
    ({"type": "integer"}, lambda v: type(v) is int),
    ({"type": "integer", "minimum": 10, "maximum": 20}, lambda v: 10 <= v <= 20),
    ({"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7}, lambda v: v == 6),
    ({"type": "integer", "minimum": 3, "multipleOf": 4}, lambda v: v % 4 == 0),
    ({"type": "integer", "maximum": -5}, lambda v: v <= -5),
    ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5}, lambda v: 0 < v < 0.5),
    ({"type": "number", "minimum": 2.5, "multipleOf": 0.01}, lambda v: v >= 2.5),
    ({"type": "number", "multipleOf": 0.1, "minimum": 0.35, "maximum": 0.9}, lambda v: True),
    ({"type": "boolean"}, lambda v: v is True),
    ({"type": "null"}, lambda v: v is None),
    ({"type": "string", "minLength": 12}, lambda v: len(v) >= 12),
    ({"type": "string", "maxLength": 2}, lambda v: len(v) <= 2),
    ({"type": "string", "pattern": r"^[A-Z]{3}-\d{2,4}$"}, lambda v: True),
    ({"type": "string", "pattern": r"^[a-z]+$", "minLength": 5, "maxLength": 6},
     lambda v: 5 <= len(v) <= 6),
    ({"type": "string", "pattern": "abc"}, lambda v: "abc" in v),  # unanchored
    ({"type": "string", "format": "uuid"}, lambda v: len(v) == 36),
    ({"type": "string", "format": "email"}, lambda v: v.endswith("@example.com")),
    ({"type": "string", "format": "date"}, lambda v: True),
    ({"type": "string", "format": "date-time"}, lambda v: True),
    ({"type": "string", "format": "time"}, lambda v: True),
    ({"type": "string", "format": "uri"}, lambda v: v.startswith("http://127.0.0.1:")),  # loopback
    ({"type": "string", "format": "ipv4"}, lambda v: True),
    ({"type": "string", "format": "ipv6"}, lambda v: ":" in v),
    ({"type": "string", "format": "binary"}, lambda v: isinstance(v, str)),
    ({"type": "string", "format": "duration"}, lambda v: True),
    ({"type": "string", "contentMediaType": "application/json",  # pydantic's Json[list[int]]
      "contentSchema": {"type": "array", "items": {"type": "integer"}}},
     lambda v: v == "[1]"),
    ({"type": "string", "contentEncoding": "base64",  # pydantic's bytes, val_json_bytes=base64
      "contentMediaType": "application/octet-stream"}, lambda v: v == "cGVyZg=="),
    ({"enum": ["red", "green"]}, lambda v: v == "red"),
    ({"enum": [None, 3]}, lambda v: v == 3),
    ({"const": {"a": 1}}, lambda v: v == {"a": 1}),
    ({"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 4},
     lambda v: 3 <= len(v) <= 4),
    ({"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 5,
      "uniqueItems": True}, lambda v: len(set(v)) == 5),
    ({"type": "array", "items": {"enum": ["a", "b", "c"]}, "minItems": 3, "uniqueItems": True},
     lambda v: sorted(v) == ["a", "b", "c"]),
    ({"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}],
      "items": False}, lambda v: len(v) == 2),
    ({"type": "array", "maxItems": 0}, lambda v: v == []),
    ({"type": "object", "additionalProperties": {"type": "number", "minimum": 3}},
     lambda v: len(v) == 1),
    ({"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 3},
     lambda v: len(v) >= 3),
    # keys are digits: a dict[int, float] (whose schema cannot say so) accepts them too
    ({"type": "object", "additionalProperties": {"type": "number"}}, lambda v: list(v) == ["1"]),
    ({"type": "object", "additionalProperties": True, "minProperties": 2,
      "propertyNames": {"pattern": "^[a-z]{3}$"}}, lambda v: len(v) == 2),
    ({"$ref": "#/components/schemas/Person"}, lambda v: set(v["home"]) == {"city", "zip", "note"}),
    # recursion stops at the second visit of a schema: lists empty, optional parts left out
    ({"$ref": "#/components/schemas/Node"}, lambda v: v["children"][0]["children"] == []),
    ({"allOf": [{"$ref": "#/components/schemas/Address"},
                {"type": "object", "required": ["floor"], "properties": {
                    "floor": {"minimum": 4}}}]}, lambda v: v["floor"] >= 4),
    ({"anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]},
     lambda v: isinstance(v, str)),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, lambda v: v != int(v)),
    ({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
      "discriminator": {"propertyName": "pet_type",
                        "mapping": {"cat": "#/components/schemas/Cat",
                                    "dog": "#/components/schemas/Dog"}}},
     lambda v: v["pet_type"] == "cat"),
    ({"type": ["string", "null"], "minLength": 3}, lambda v: isinstance(v, str)),
    ({"type": ["null", "integer"]}, lambda v: isinstance(v, int)),
    ({"type": "string", "examples": ["given"]}, lambda v: v == "given"),
    ({"type": "integer", "maximum": 3, "examples": [99, 2]}, lambda v: v == 2),  # 99 invalid
    ({"type": "string", "example": "old-style"}, lambda v: v == "old-style"),
    ({"type": "integer", "default": 7}, lambda v: v == 7),
    ({}, lambda v: True),
    ({"minimum": 2}, lambda v: v >= 2),
]


@pytest.mark.parametrize("schema,check", CASES, ids=[str(c[0])[:60] for c in CASES])
def test_generated_values_validate(schema, check):
    value = Schemas(DOC).value(schema, name="field", seed="s")
    assert_valid(value, schema, DOC)
    assert check(value), value


def test_the_same_seed_gives_the_same_value_and_another_seed_may_differ():
    schema = {"type": "object", "required": ["id", "code"], "properties": {
        "id": {"type": "string", "format": "uuid"},
        "code": {"type": "string", "pattern": r"^[A-Z]{8}$"}}}
    one, two = Schemas(DOC), Schemas(DOC)  # fresh objects: no state carried over
    assert one.value(schema, seed="a") == two.value(schema, seed="a")
    assert one.value(schema, seed="a") != one.value(schema, seed="b")


def test_openapi_30_nullable_and_boolean_exclusive_bounds_are_read_as_meant():
    doc = {"openapi": "3.0.3", "components": {"schemas": {
        "Item": {"type": "object", "required": ["next", "count", "ref"], "nullable": True,
                 "properties": {"next": {"$ref": "#/components/schemas/Item"},
                                "count": {"type": "integer", "minimum": 5,
                                          "exclusiveMinimum": True, "nullable": True},
                                "ref": {"allOf": [{"$ref": "#/components/schemas/Tag"}],
                                        "nullable": True}}},
        "Tag": {"type": "string", "enum": ["a", "b"]}}}}
    schemas = Schemas(doc)
    value = schemas.value({"$ref": "#/components/schemas/Item"})
    assert value == {"next": None, "count": 6, "ref": "a"}
    # the same document as JSON Schema 2020-12 spells it, written by hand
    translated = {"components": {"schemas": {
        "Item": {"type": ["object", "null"], "required": ["next", "count", "ref"],
                 "properties": {"next": {"$ref": "#/components/schemas/Item"},
                                "count": {"type": ["integer", "null"], "exclusiveMinimum": 5},
                                "ref": {"anyOf": [{"allOf": [
                                    {"$ref": "#/components/schemas/Tag"}]}, {"type": "null"}]}}},
        "Tag": {"type": "string", "enum": ["a", "b"]}}}}
    assert schemas.components == translated["components"]
    assert_valid(value, {"$ref": "#/components/schemas/Item"}, translated)
    assert errors({"next": None, "count": 5, "ref": None},
                  {"$ref": "#/components/schemas/Item"}, translated)


@pytest.mark.parametrize("schema,reason", [
    ({"type": "integer", "minimum": 5, "maximum": 4}, "no number between 5 and 4"),
    ({"type": "string", "pattern": r"^\d{10}$", "maxLength": 3}, "no string matching pattern"),
    ({"type": "string", "pattern": "(unclosed"}, "not a Python regex"),
    ({"$ref": "#/components/schemas/Missing"}, "does not resolve"),
    ({"$ref": "other.json#/X"}, "points outside the document"),
    ({"type": "array", "items": {"enum": ["x"]}, "minItems": 2, "uniqueItems": True},
     "distinct items"),
    ({"type": "object", "required": ["me"], "properties": {
        "me": {"$ref": "#/components/schemas/Loop"}}}, "nests too deeply"),
])
def test_an_impossible_schema_is_a_reason_not_a_crash(schema, reason):
    doc = {"components": {"schemas": {"Loop": {"type": "object", "required": ["me"],
                                                "properties": {"me": {"$ref": "#/components/schemas/Loop"}}}}}}
    with pytest.raises(Unbuildable, match=re.escape(reason)):
        Schemas(doc).value(schema)


def test_holder_examples_read_example_and_named_examples_in_order():
    holder = {"example": 1, "examples": {"one": {"value": 2}, "ext": {"externalValue": "x"},
                                         "two": {"value": 3}}}
    assert holder_examples(holder) == [1, 2, 3]
    assert holder_examples(None) == []


def test_unique_looking_fields_vary_per_token_and_still_validate():
    schemas = Schemas(DOC)
    schema = {"type": "object", "required": ["email", "username", "slug", "title", "tags"],
              "properties": {
                  "email": {"type": "string", "format": "email", "maxLength": 40},
                  "username": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{2,15}$"},
                  "slug": {"type": "string", "minLength": 3, "maxLength": 12},
                  "title": {"type": "string", "examples": ["Hello"]},
                  "tags": {"type": "array", "items": {"type": "object", "required": ["code"],
                                                      "properties": {"code": {"type": "string"}}}}}}
    base = schemas.value(schema, seed="op")
    seen = {}
    for salt in ("attack-1", "attack-2"):
        for index in range(40):
            value = schemas.vary(base, schema, token(salt, index), seed="op")
            assert_valid(value, schema, DOC)
            for key in ("email", "username", "slug", "title"):  # a title too: slugs come of it
                seen.setdefault(key, set()).add(value[key])
            seen.setdefault("code", set()).add(value["tags"][0]["code"])
    assert all(len(values) == 80 for values in seen.values()), {k: len(v) for k, v in seen.items()}


def test_a_field_that_cannot_vary_keeps_its_value():
    schemas = Schemas(DOC)
    schema = {"type": "object", "required": ["code"], "properties": {
        "code": {"type": "string", "enum": ["only"]}}}
    assert schemas.vary({"code": "only"}, schema, "t1") == {"code": "only"}


@pytest.mark.parametrize("name,schema,unique", [
    ("email", {"type": "string"}, True),
    ("contact", {"type": "string", "format": "email"}, True),
    ("userName", {"type": "string"}, True),
    ("user-name", {"type": "string"}, True),
    ("sku", {"anyOf": [{"type": "string"}, {"type": "null"}]}, True),
    ("id", {"type": "integer"}, False),  # an integer id in a body refers to an existing row
    ("title", {"type": "string"}, True),
    ("description", {"type": "string"}, False),
])
def test_which_fields_look_unique(name, schema, unique):
    assert looks_unique(name, schema) is unique


def test_refs_resolve_as_json_pointers_into_the_whole_document():
    """`$ref` resolution (referencing): any JSON pointer into the document, its escapes (~1 for
    '/', ~0 for '~', percent-encoding), list indexes; and one line when it leads nowhere."""
    spec = {"openapi": "3.0.3", "components": {"schemas": {
        "a/b~c": {"type": "integer", "minimum": 3, "nullable": True},
        "Size": {"type": "string", "enum": ["s", "m"]}}},
        "paths": {"/items/{id}": {"get": {"parameters": [{"name": "id", "in": "path",
                                                          "schema": {"type": "integer"}}]}}}}
    schemas = Schemas(spec)
    # The 3.0 document is resolved as translated: nullable became a null type.
    assert schemas.lookup("#/components/schemas/a~1b~0c") == {"type": ["integer", "null"], "minimum": 3}
    assert schemas.lookup("#/paths/~1items~1%7Bid%7D/get/parameters/0/schema") == {"type": "integer"}
    for ref, words in [("#/paths/~1items~1{id}/get/parameters/x", "does not resolve"),
                       ("#/paths/~1items~1{id}/get/parameters/0/name", "is not a schema"),
                       ("#/components/schemas/Size/type/0", "does not resolve"),
                       ("#Size", "points outside the document")]:
        with pytest.raises(Unbuildable, match=re.escape(f"$ref {ref!r} {words}")):
            schemas.lookup(ref)
