"""OpenAPI 3.0 schemas as JSON Schema 2020-12 reads them (3.1 documents already are)."""

from __future__ import annotations

import copy

# Schema keywords whose values are schemas, by shape (used to walk a schema tree).
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then",
               "else", "unevaluatedProperties", "unevaluatedItems", "additionalItems")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def to_json_schema(node: object, openapi_30: bool) -> object:
    """A copy of a schema (or of a whole components map) that JSON Schema 2020-12 reads as
    OpenAPI meant it: 3.0's `nullable: true` becomes a null type, its boolean exclusive bounds
    become numeric ones. 3.1 documents are JSON Schema already and come back as they are."""
    if not openapi_30:
        return node
    return _translate(copy.deepcopy(node))


def _translate(schema: object) -> object:
    if not isinstance(schema, dict):
        return schema
    for key in _SCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            schema[key] = {k: _translate(v) for k, v in schema[key].items()}
    for key in _SCHEMA_ONE:
        if isinstance(schema.get(key), dict):
            schema[key] = _translate(schema[key])
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            schema[key] = [_translate(v) for v in schema[key]]
    if isinstance(schema.get("schemas"), dict):  # a components object
        schema["schemas"] = {k: _translate(v) for k, v in schema["schemas"].items()}
    for bound in ("Minimum", "Maximum"):
        flag = schema.get("exclusive" + bound)
        if isinstance(flag, bool):
            del schema["exclusive" + bound]
            if flag and bound.lower() in schema:
                schema["exclusive" + bound] = schema.pop(bound.lower())
    if schema.pop("nullable", False) is True:
        kind = schema.get("type")
        if isinstance(kind, str):
            schema["type"] = [kind, "null"]
            if "enum" in schema and None not in schema["enum"]:
                schema["enum"] = [*schema["enum"], None]
        elif kind is None:
            rest = dict(schema)
            schema.clear()
            schema["anyOf"] = [rest, {"type": "null"}]
    return schema
