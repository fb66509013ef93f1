"""An independent check of generated values: jsonschema's Draft 2020-12 validator with every
format checker installed, `$ref`s resolved through a `referencing` registry that holds the
whole OpenAPI document (not perf's own resolution)."""

from __future__ import annotations

import copy

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOC = "urn:perf-test:openapi"


def _absolute_refs(node: object) -> object:
    if isinstance(node, dict):
        return {k: (DOC + v if k == "$ref" and isinstance(v, str) and v.startswith("#")
                    else _absolute_refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


def errors(value: object, schema: dict, document: dict | None = None) -> list[str]:
    """Why `value` is invalid under `schema` (refs point into `document`); [] when valid."""
    registry = Registry().with_resource(
        DOC, Resource.from_contents(copy.deepcopy(document or {}),
                                    default_specification=DRAFT202012))
    validator = jsonschema.Draft202012Validator(
        _absolute_refs(schema), registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(value)]


def assert_valid(value: object, schema: dict, document: dict | None = None) -> None:
    problems = errors(value, schema, document)
    assert not problems, f"{value!r} does not validate against {schema!r}: {problems}"
