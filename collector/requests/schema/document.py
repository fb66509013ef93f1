"""The schemas of one OpenAPI document: `$ref` resolution (with `referencing`, the library
jsonschema resolves with), validation (jsonschema, Draft 2020-12 with format checks) and the
values perf sends: an example when the document gives a valid one, else one generated from the
schema (generate.py); a `unique` token remakes the fields that look unique (names.py) per request.
"""

from __future__ import annotations

import copy

from perf.collector.requests.schema.errors import Unbuildable, first_line
from perf.collector.requests.schema.examples import schema_examples
from perf.collector.requests.schema.generate import Generation
from perf.collector.requests.schema.names import looks_unique
from perf.collector.requests.schema.translate import to_json_schema

_DOCUMENT = "urn:perf:openapi-document"  # the URI the document is registered under


class Schemas:
    """The schemas of one OpenAPI document: $ref resolution, validation, value generation."""

    def __init__(self, spec: dict):
        self.openapi_30 = str(spec.get("openapi", "3.1")).startswith("3.0")
        self.spec = spec
        self.components = to_json_schema(spec.get("components", {}), self.openapi_30)
        self._validators: dict[int, tuple[dict, object]] = {}  # id(schema) -> (it, validator)
        self._document_resolver = None

    # ---- references

    def schema(self, raw: dict | None) -> dict:
        """An OpenAPI schema object as JSON Schema (3.0 translated), `{}` when absent."""
        if not isinstance(raw, dict):
            return {} if raw is None or raw is True else {"not": {}}
        return to_json_schema(raw, self.openapi_30)

    def deref(self, node: dict, seen: tuple[str, ...] = ()) -> tuple[dict, tuple[str, ...]]:
        """Follow `$ref` chains (components, or any JSON pointer into the document); 3.1
        siblings of a $ref are kept, overriding the target's keywords."""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            target = self.lookup(ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            seen = (*seen, ref)
            node = {**target, **siblings} if siblings and not self.openapi_30 else target
        return node, seen

    def lookup(self, ref: str) -> dict:
        """The schema a local `$ref` ("#/components/schemas/Item", or any JSON pointer into the
        document) points at, resolved by `referencing` over the document (3.0 translated)."""
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise Unbuildable(f"$ref {ref!r} points outside the document")
        from referencing.exceptions import Unresolvable

        try:
            node = self._resolver().lookup(ref).contents
            # JSON pointers step into objects and arrays only; referencing also indexes the
            # characters of a string, which leads nowhere here.
            nowhere = isinstance(node, str) and isinstance(
                self._resolver().lookup(ref.rsplit("/", 1)[0]).contents, str)
        except (Unresolvable, ValueError, TypeError):  # e.g. a word where a list index goes
            nowhere = True
        if nowhere:
            raise Unbuildable(f"$ref {ref!r} does not resolve")
        if node is True:
            return {}
        if not isinstance(node, dict):
            raise Unbuildable(f"$ref {ref!r} is not a schema")
        return node

    def _resolver(self):
        # Built on first use: `perf collect --help` and the reporter import none of it.
        if self._document_resolver is None:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            document = {"components": self.components,
                        **{k: v for k, v in self.spec.items() if k != "components"}}
            resource = Resource(document, specification=DRAFT202012)
            self._document_resolver = Registry().with_resource(_DOCUMENT, resource).resolver(_DOCUMENT)
        return self._document_resolver

    # ---- validation

    def problem(self, value: object, schema: dict) -> str | None:
        """Why `value` does not validate against `schema` (one line), or None when it does."""
        # Imported here, not at the top: `perf collect --help` and the reporter need none of it.
        import jsonschema

        key = id(schema)
        if key not in self._validators:
            root = dict(schema)
            root["components"] = self.components  # "#/components/..." resolves inside root
            validator = jsonschema.Draft202012Validator(
                root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            self._validators[key] = (schema, validator)
        validator = self._validators[key][1]
        try:
            error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        except Exception as exc:  # an unknown type, a bad $ref, a malformed keyword...
            return f"schema cannot be checked: {first_line(exc)}"
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return (f"{where}: " if where else "") + first_line(error.message)

    def valid(self, value: object, schema: dict) -> bool:
        return self.problem(value, schema) is None

    # ---- values

    def value(self, schema: dict, *, name: str | None = None, seed: str = "",
              examples: tuple = ()) -> object:
        """A valid value for `schema`: the first valid of `examples` (already collected from
        the parameter or media type), then the schema's own examples/example/default, else
        generated (Unbuildable when nothing valid comes out)."""
        for candidate in (*examples, *schema_examples(self.deref(schema)[0], default=True)):
            if self.valid(candidate, schema):
                return candidate
        return self.generate(schema, name=name, seed=seed)

    def vary(self, value: object, schema: dict, unique: str, *, name: str | None = None,
             seed: str = "", fields: list | None = None) -> object:
        """`value` with every field that looks unique (see looks_unique) remade from the
        `unique` token, each still valid against its own schema; other fields untouched.
        `fields` is unique_fields(value, schema, name), when the caller keeps it."""
        if fields is None:
            fields = self.unique_fields(value, schema, name)
        if not fields:
            return value
        if fields[0][0] == ():
            return self._remade(value, fields[0][1], fields[0][2], unique, seed)
        out = copy.deepcopy(value)
        for path, field, sub in fields:
            holder = out
            for step in path[:-1]:
                holder = holder[step]
            indexes = "".join(f".{step}" for step in path if isinstance(step, int))
            holder[path[-1]] = self._remade(holder[path[-1]], field, sub, unique + indexes,
                                            f"{seed}/{'/'.join(map(str, path))}")
        return out

    def _remade(self, value: object, name: str | None, schema: dict, unique: str,
                seed: str) -> object:
        try:
            made = Generation(self, f"{seed}\x00{name}", unique).make(schema, name, 0, ())
        except Unbuildable:
            return value
        return made if self.valid(made, schema) else value

    def unique_fields(self, value: object, schema: dict, name: str | None = None,
                      path: tuple = ()) -> list[tuple[tuple, str | None, dict]]:
        """(path, field name, schema) of each string in `value` whose field looks unique."""
        resolved = self.deref(schema)[0] if isinstance(schema, dict) else {}
        if "allOf" in resolved:
            resolved = Generation(self, "", None).merge(resolved)
        if looks_unique(name, resolved) and isinstance(value, str):
            return [(path, name, schema)]
        for key in ("anyOf", "oneOf"):
            for branch in resolved.get(key, []):
                if isinstance(branch, dict) and self.valid(value, branch):
                    return self.unique_fields(value, branch, name, path)
        out: list = []
        if isinstance(value, dict):
            props = resolved.get("properties") or {}
            extra = resolved.get("additionalProperties")
            for key, sub in value.items():
                sub_schema = props.get(key, extra if isinstance(extra, dict) else None)
                if isinstance(sub_schema, dict):
                    out += self.unique_fields(sub, sub_schema, key, (*path, key))
        elif isinstance(value, list):
            prefix = resolved.get("prefixItems") or []
            items = resolved.get("items")
            for index, sub in enumerate(value):
                sub_schema = prefix[index] if index < len(prefix) else items
                if isinstance(sub_schema, dict):
                    out += self.unique_fields(sub, sub_schema, name, (*path, index))
        return out

    def generate(self, schema: dict, *, name: str | None = None, seed: str = "",
                 unique: str | None = None) -> object:
        """Build a value from type and constraints alone; Unbuildable with the reason when no
        valid one comes out."""
        made = Generation(self, seed, unique).make(schema, name, 0, ())
        problem = self.problem(made, schema)
        if problem:
            raise Unbuildable(f"generated value does not validate ({problem})")
        return made
