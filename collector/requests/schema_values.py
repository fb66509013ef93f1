"""Values for an OpenAPI document's JSON Schemas: an example when the document gives a valid
one, else one built from the schema's type and constraints; each checked against its schema.

Generation is deterministic: randomness (patterns, uuids) comes from a random.Random seeded
with a string, never from the process. A `unique` token makes a value differ per request
(emails, usernames, slugs) while it still validates; see `looks_unique`.

Patterns are filled by `rstr` (xeger over Python's own regex parser, with an injectable
random.Random), then checked with `re.search`; JSON Schema patterns are unanchored.
Validation uses `jsonschema` (Draft 2020-12, with format checks). An OpenAPI 3.0 document is
first translated to JSON Schema (`nullable`, boolean `exclusiveMinimum`), so one validator
serves both versions.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import re
import uuid

import rstr

_MAX_DEPTH = 24
_PATTERN_TRIES = 40

# Field names whose values are usually unique keys (creates collide on them). A name or a
# title is often unique too (RealWorld derives an article's unique slug from its title), and
# varying a free-text field costs nothing where it is not.
_UNIQUE_NAMES = {
    "name", "title",
    "email", "username", "user_name", "login", "handle", "slug", "sku", "code", "nickname",
    "nick", "alias", "account", "account_name", "screen_name", "display_name", "external_id",
    "uuid", "uid", "guid", "id", "key", "token", "isbn", "barcode", "serial", "serial_number",
    "phone", "phone_number", "domain", "hostname", "url_slug", "name_slug", "title_slug",
}

# Keywords that say nothing about which values are valid.
_ANNOTATIONS = ("title", "description", "default", "examples", "example", "deprecated",
                "readOnly", "writeOnly", "$comment", "externalDocs", "xml", "$schema", "$id")

# Schema keywords whose values are schemas, by shape (used to walk a schema tree).
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then",
               "else", "unevaluatedProperties", "unevaluatedItems", "additionalItems")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")

# Where a URL perf makes up points: loopback, port 9 (discard), where nothing listens, so an
# app that fetches or calls back a URL it was given never sends anything off the machine.
LOOPBACK_URL = "http://127.0.0.1:9/"

_FORMATS = {
    "date": "2024-01-15",
    "date-time": "2024-01-15T12:00:00Z",
    "time": "12:00:00Z",
    "duration": "P1D",
    "uri": LOOPBACK_URL,
    "url": LOOPBACK_URL,
    "iri": LOOPBACK_URL,
    "uri-reference": LOOPBACK_URL,
    "iri-reference": LOOPBACK_URL,
    "http-url": LOOPBACK_URL,
    "https-url": LOOPBACK_URL,
    "multi-host-uri": LOOPBACK_URL,
    "uri-template": LOOPBACK_URL + "{id}",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "ipvanyaddress": "192.0.2.1",
    "ipvanyinterface": "192.0.2.1/32",
    "ipvanynetwork": "192.0.2.0/24",
    "ipv4network": "192.0.2.0/24",
    "ipv6network": "2001:db8::/32",
    "ipv4interface": "192.0.2.1/32",
    "ipv6interface": "2001:db8::1/128",
    "json-pointer": "/perf",
    "relative-json-pointer": "0",
    "regex": "^perf$",
    "byte": "cGVyZg==",
    "binary": "perf upload\n",
    "password": "Perf-secret-123",
    "color": "red",
    "json-string": "{}",
    "path": "perf.txt",
    "file-path": "perf.txt",
    "directory-path": ".",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uuid": "6a0f3f3e-4b0c-4d2a-9e57-2f6b5c1d8e90",
}

# The formats pydantic writes for its UUID types (UUID1, UUID3, UUID4, UUID5): each validates
# the version digit, so the value must carry it.
_UUID_VERSIONS = {"uuid": 4, "uuid1": 1, "uuid3": 3, "uuid4": 4, "uuid5": 5}

# A plain string whose name says what it holds gets a value of that kind: the app may store it
# and break on it later (a list route that validates stored rows as EmailStr fails with 500 on
# one "email-x1y2"). Matched on the name's last word (owner_email, homepage_url, mobile_phone).
_NAMED_FORMATS = {
    "email": "email", "mail": "email",
    "url": "uri", "uri": "uri", "link": "uri", "website": "uri", "homepage": "uri",
    "webhook": "uri", "callback": "uri",
    "ip": "ipv4", "ipv4": "ipv4", "ipv6": "ipv6",
    "date": "date", "birthday": "date", "birthdate": "date", "dob": "date",
    "datetime": "date-time", "timestamp": "date-time",
}
_PHONE_NAMES = {"phone", "mobile", "telephone", "tel", "cellphone"}


class Unbuildable(Exception):
    """No valid value could be made; the message is the one-line reason."""


def token(salt: str, index: int) -> str:
    """A short, stable token for request `index` of an attack with `salt`: what makes unique
    fields differ per request and per attack."""
    digest = hashlib.sha256(f"{salt}\x00{index}".encode()).digest()
    return base36(int.from_bytes(digest[:8], "big"))[:10]


def _named_format(name: str) -> str | None:
    """The format a plain string field's name implies ("phone" for phone numbers), or None."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_").split("_")
    last = words[-1] if words else ""
    if last in _PHONE_NAMES or name.lower().replace("_", "") in ("phonenumber", "mobilenumber"):
        return "phone"
    if last in ("address", "addr") and len(words) > 1 and words[-2] in ("ip", "email", "mail"):
        last = "ip" if words[-2] == "ip" else "email"
    return _NAMED_FORMATS.get(last)


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def looks_unique(name: str | None, schema: dict) -> bool:
    """Whether a field probably carries a unique key: an email, a username, a slug, a string
    id. Integer ids are not: in a body they usually refer to a row that must exist."""
    if schema.get("format") in ("email", "idn-email"):
        return True
    if not name:
        return False
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_")
    return key in _UNIQUE_NAMES and _kinds(schema) & {"string"} != set()


def _kinds(schema: dict) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    if kind:
        return {kind}
    kinds: set[str] = set()
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        if isinstance(branch, dict):
            kinds |= _kinds(branch)
    if not kinds and ("pattern" in schema or "format" in schema):
        kinds = {"string"}
    return kinds


# ---------------------------------------------------------------- OpenAPI 3.0 -> JSON Schema

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


# ---------------------------------------------------------------- the generator

class Schemas:
    """The schemas of one OpenAPI document: $ref resolution, validation, value generation."""

    def __init__(self, spec: dict):
        self.openapi_30 = str(spec.get("openapi", "3.1")).startswith("3.0")
        self.spec = spec
        self.components = to_json_schema(spec.get("components", {}), self.openapi_30)
        self._validators: dict[int, tuple[dict, object]] = {}  # id(schema) -> (it, validator)

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
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise Unbuildable(f"$ref {ref!r} points outside the document")
        node: object = {"components": self.components, **{
            k: v for k, v in self.spec.items() if k != "components"}}
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise Unbuildable(f"$ref {ref!r} does not resolve")
        if node is True:
            return {}
        if not isinstance(node, dict):
            raise Unbuildable(f"$ref {ref!r} is not a schema")
        return node

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
            return f"schema cannot be checked: {_first_line(exc)}"
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return (f"{where}: " if where else "") + _first_line(error.message)

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


def schema_examples(schema: dict, *, default: bool = False) -> list:
    """A schema's own example values (then its default, if asked), in the order perf tries
    them."""
    out = []
    if isinstance(schema.get("examples"), list):
        out.extend(schema["examples"])
    if "example" in schema:
        out.append(schema["example"])
    if default and "default" in schema:
        out.append(schema["default"])
    return [on_loopback(value) for value in out]


def holder_examples(holder: dict | None) -> list:
    """Example values of a parameter or media type object: `example`, then the `value` of each
    named entry of `examples` (OpenAPI's map of Example objects)."""
    if not isinstance(holder, dict):
        return []
    out = []
    if "example" in holder:
        out.append(holder["example"])
    examples = holder.get("examples")
    if isinstance(examples, dict):
        out.extend(e["value"] for e in examples.values() if isinstance(e, dict) and "value" in e)
    elif isinstance(examples, list):
        out.extend(examples)
    return [on_loopback(value) for value in out]


_URL = re.compile(r"(?i)^(https?|wss?|ftp)://([^/?#]*)(.*)$", re.S)
_LOOPBACK_HOSTS = ("127.", "localhost", "[::1]")


def on_loopback(value: object) -> object:
    """`value` with every URL in it that leads off the machine moved to LOOPBACK_URL (its
    path kept): a document's example "https://example.com/feed.xml" sent to a route that
    fetches it would make the app send load to the internet."""
    if isinstance(value, str):
        match = _URL.match(value)
        if not match:
            return value
        host = match.group(2).rsplit("@", 1)[-1].lower()
        if host.startswith(_LOOPBACK_HOSTS):
            return value
        return LOOPBACK_URL + match.group(3).lstrip("/")
    if isinstance(value, dict):
        return {key: on_loopback(sub) for key, sub in value.items()}
    if isinstance(value, list):
        return [on_loopback(sub) for sub in value]
    return value


def _first_line(error: object) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line if len(line) <= 160 else line[:157] + "..."


class Generation:
    """One value's construction: a seeded random source and the unique token, if any."""

    def __init__(self, schemas: Schemas, seed: str, unique: str | None):
        self.schemas = schemas
        self.random = random.Random(f"perf\x00{seed}")
        self.unique = unique

    def make(self, raw: dict, name: str | None, depth: int, refs: tuple[str, ...]) -> object:
        if depth > _MAX_DEPTH:
            raise Unbuildable("schema nests too deeply (recursive with no way out?)")
        if raw is True or raw == {}:
            return "perf"
        if raw is False:
            raise Unbuildable("schema `false` accepts no value")
        schema, seen = self.schemas.deref(raw, refs)
        recursing = len(seen) != len(set(seen))
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            members = [m for m in schema["enum"] if m is not None] or schema["enum"]
            if not members:
                raise Unbuildable("empty enum")
            if self.unique is not None and len(members) > 1:
                return members[int(hashlib.sha256(self.unique.encode()).hexdigest(), 16)
                               % len(members)]
            return members[0]
        if "allOf" in schema:
            return self.make(self.merge(schema), name, depth + 1, seen)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.choose(schema, key, name, depth, seen, recursing)
        kinds = self.kinds(schema)
        if "null" in kinds and (recursing or len(kinds) == 1):
            return None
        kinds = [k for k in kinds if k != "null"] or ["null"]
        kind = kinds[0]
        if kind == "null":
            return None
        if kind == "object":
            return self.object(schema, depth, seen, recursing)
        if kind == "array":
            return self.array(schema, name, depth, seen, recursing)
        if kind in ("integer", "number"):
            return self.number(schema, kind == "integer")
        if kind == "boolean":
            return True
        return self.string(schema, name)

    # ---- composition

    def kinds(self, schema: dict) -> list[str]:
        kind = schema.get("type")
        if isinstance(kind, list):
            return kind or ["string"]
        if isinstance(kind, str):
            return [kind]
        if any(k in schema for k in ("properties", "additionalProperties", "required",
                                     "minProperties", "patternProperties")):
            return ["object"]
        if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
            return ["array"]
        if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum",
                                     "exclusiveMaximum", "multipleOf")):
            return ["number"]
        return ["string"]

    def choose(self, schema: dict, key: str, name: str | None, depth: int,
               refs: tuple[str, ...], recursing: bool) -> object:
        """The first branch whose value validates against the whole schema; null branches last
        unless the schema is recursing (a null ends the recursion)."""
        branches = list(schema[key])
        nulls = [b for b in branches if isinstance(b, dict) and b.get("type") == "null"]
        others = [b for b in branches if b not in nulls]
        order = nulls + others if recursing else others + nulls
        rest = {k: v for k, v in schema.items()
                if k not in (key, "discriminator", *_ANNOTATIONS) and not k.startswith("x-")}
        mapping = self.discriminator(schema)
        reasons = []
        for branch in order:
            merged = {"allOf": [rest, branch]} if rest else branch
            # A first value may fit several oneOf branches (1 is an integer and a number):
            # retry with other values before giving up on the branch.
            for retry in (None, "alt1", "alt2", "alt3"):
                saved = self.unique
                self.unique = saved if retry is None else f"{saved or ''}{retry}"
                try:
                    value = self.make(merged, name, depth + 1, refs)
                except Unbuildable as exc:
                    reasons.append(str(exc))
                    break
                finally:
                    self.unique = saved
                if mapping and isinstance(value, dict) and isinstance(branch, dict):
                    prop, tag = mapping.get(branch.get("$ref"), (None, None))
                    tagged = {**value, prop: tag} if prop else value
                    if self.schemas.valid(tagged, schema):
                        return tagged
                if self.schemas.valid(value, schema):
                    return value
                reasons.append(f"no {key} branch value validates")
        raise Unbuildable(reasons[0] if reasons else f"empty {key}")

    def discriminator(self, schema: dict) -> dict[str, tuple[str, str]]:
        """$ref of a branch -> (discriminator property, its tag), when the schema says."""
        disc = schema.get("discriminator")
        if not isinstance(disc, dict) or "propertyName" not in disc:
            return {}
        prop = disc["propertyName"]
        out = {ref: (prop, tag) for tag, ref in (disc.get("mapping") or {}).items()}
        for key in ("oneOf", "anyOf"):
            for branch in schema.get(key, []):
                ref = branch.get("$ref") if isinstance(branch, dict) else None
                if ref and ref not in out:
                    out[ref] = (prop, ref.rsplit("/", 1)[-1])
        return out

    def merge(self, schema: dict) -> dict:
        """allOf folded into one schema: properties merged, required united, bounds narrowed.
        The value made from it is still checked against the original schema."""
        parts = [{k: v for k, v in schema.items() if k != "allOf"}]
        for branch in schema["allOf"]:
            resolved = self.schemas.deref(branch)[0] if isinstance(branch, dict) else {}
            parts.append(self.merge(resolved) if "allOf" in resolved else resolved)
        out: dict = {}
        for part in parts:
            for key, value in part.items():
                if key not in out:
                    out[key] = copy.copy(value)
                elif key == "properties":
                    for prop, sub in value.items():
                        out[key][prop] = ({"allOf": [out[key][prop], sub]}
                                          if prop in out[key] else sub)
                elif key == "required":
                    out[key] = list(dict.fromkeys([*out[key], *value]))
                elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems",
                             "minProperties"):
                    out[key] = max(out[key], value)
                elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems",
                             "maxProperties"):
                    out[key] = min(out[key], value)
                elif key == "enum":
                    out[key] = [m for m in out[key] if m in value]
                elif key == "type":
                    mine = set(out[key] if isinstance(out[key], list) else [out[key]])
                    theirs = set(value if isinstance(value, list) else [value])
                    both = mine & theirs or ({"integer"} if {"integer", "number"} <= mine | theirs
                                             else mine)
                    out[key] = sorted(both)
        return out

    # ---- objects and arrays

    def object(self, schema: dict, depth: int, refs: tuple[str, ...], recursing: bool) -> dict:
        props = schema.get("properties") or {}
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        out: dict = {}
        for prop in required:
            sub = props.get(prop)
            if sub is None:
                extra = schema.get("additionalProperties")
                sub = extra if isinstance(extra, dict) else {}
            out[prop] = self.member(sub, prop, depth, refs)
        for prop, sub in props.items():
            if prop in out or recursing or not isinstance(sub, dict):
                continue
            examples = schema_examples(self.schemas.deref(sub)[0])
            if examples and self.schemas.valid(examples[0], sub):
                out[prop] = examples[0]
        extra = schema.get("additionalProperties")
        wanted = schema.get("minProperties", 0)
        if not props and isinstance(extra, dict) and extra != {} and not recursing:
            wanted = max(wanted, 1)
        names = schema.get("propertyNames")
        index = 0
        while len(out) < wanted and index < wanted + 16:
            index += 1
            # Map keys are digits unless propertyNames says otherwise: "1" is also what a
            # dict[int, ...] (whose schema cannot say so) accepts.
            key = str(index)
            if isinstance(names, dict) and names:
                saved, self.unique = self.unique, f"{self.unique or ''}k{index}"
                try:
                    key = self.make({"type": "string", **names}, None, depth + 1, refs)
                finally:
                    self.unique = saved
            if not isinstance(key, str) or key in out:
                continue
            sub = extra if isinstance(extra, dict) else {}
            out[key] = self.member(sub, key, depth, refs)
        return out

    def member(self, sub: dict, name: str, depth: int, refs: tuple[str, ...]) -> object:
        """A property or item value: its own valid example first, then generated."""
        resolved = self.schemas.deref(sub, refs)[0] if isinstance(sub, dict) else {}
        if isinstance(resolved, dict) and not (self.unique is not None
                                               and looks_unique(name, resolved)):
            for candidate in schema_examples(resolved, default=True):
                if self.schemas.valid(candidate, sub):
                    return candidate
        return self.make(sub, name, depth + 1, refs)

    def array(self, schema: dict, name: str | None, depth: int, refs: tuple[str, ...],
              recursing: bool) -> list:
        low = schema.get("minItems", 0)
        high = schema.get("maxItems")
        prefix = schema.get("prefixItems") or []
        items = schema.get("items", {})
        if isinstance(items, list):  # draft-04 tuple form
            prefix, items = items, schema.get("additionalItems", {})
        size = max(low, len(prefix), 0 if recursing else 1)
        if high is not None:
            size = min(size, high)
        if items is False:
            size = min(size, len(prefix))
        out: list = []
        for index in range(size):
            sub = prefix[index] if index < len(prefix) else items
            value = self.member(sub if isinstance(sub, dict) else {}, name or "item", depth, refs)
            if schema.get("uniqueItems") and value in out:
                value = self.distinct(sub, name, depth, refs, out)
            out.append(value)
        return out

    def distinct(self, sub: object, name: str | None, depth: int, refs: tuple[str, ...],
                 taken: list) -> object:
        """An item unlike those already in the array (uniqueItems)."""
        sub = sub if isinstance(sub, dict) else {}
        resolved = self.schemas.deref(sub, refs)[0]
        for member in resolved.get("enum", []):
            if member not in taken:
                return member
        saved = self.unique
        for attempt in range(16):
            self.unique = f"{saved or ''}i{len(taken)}-{attempt}"
            try:
                value = self.make(sub, name, depth + 1, refs)
            finally:
                self.unique = saved
            if value not in taken:
                return value
        raise Unbuildable("cannot make enough distinct items for uniqueItems")

    # ---- scalars

    def number(self, schema: dict, integer: bool) -> int | float:
        low, high = schema.get("minimum"), schema.get("maximum")
        xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        step = schema.get("multipleOf")
        if integer:
            low = _tighter(low, None if xlow is None else math.floor(xlow) + 1, max)
            high = _tighter(high, None if xhigh is None else math.ceil(xhigh) - 1, min)
            low = None if low is None else math.ceil(low)
            high = None if high is None else math.floor(high)
        else:
            if xlow is not None:
                low = _tighter(low, xlow + (1 if xhigh is None or xhigh - xlow > 2 else
                                            (xhigh - xlow) / 2), max)
            if xhigh is not None:
                high = _tighter(high, xhigh - (1 if xlow is None or xhigh - xlow > 2 else
                                               (xhigh - xlow) / 2), min)
        if low is not None and high is not None and low > high:
            raise Unbuildable(f"no number between {low} and {high}")
        offset = (int(hashlib.sha256(self.unique.encode()).hexdigest(), 16) % 1000
                  if self.unique is not None else 0)
        if low is not None and high is not None and integer:
            start = low + offset % (high - low + 1)
        elif (low is None or low <= 1) and (high is None or high >= 1):
            start = 1 + offset if high is None or 1 + offset <= high else 1
        elif low is not None:
            start = low + offset if high is None or low + offset <= high else low
        else:
            start = high - offset
        if step:
            start = _multiple(start, step, low, high, integer)
        if integer:
            return int(start)
        if self.unique is not None and not step and (high is None or start + 0.5 <= high):
            start += 0.5  # also a value that no integer schema accepts
        return float(start) if isinstance(start, float) or not float(start).is_integer() else start

    def string(self, schema: dict, name: str | None) -> str:
        low = schema.get("minLength", 0)
        high = schema.get("maxLength")
        fmt = schema.get("format")
        if "pattern" in schema:
            return self.patterned(schema["pattern"], low, high)
        if str(schema.get("contentEncoding", "")).lower() in ("base64", "base64url"):
            return _fit(_FORMATS["byte"], low, high)  # the content's bytes, base64-encoded
        media = str(schema.get("contentMediaType", "")).lower()
        if media == "application/json" or media.endswith("+json"):  # pydantic's Json[...]
            inner = schema.get("contentSchema")
            value = self.make(inner, name, 0, ()) if isinstance(inner, dict) else {}
            return _fit(json.dumps(value, separators=(",", ":")), low, high)
        if fmt is None and name:
            fmt = _named_format(name)
            if fmt == "phone":
                digits = str(int(hashlib.sha256((self.unique or "").encode()).hexdigest(), 16))
                return _fit("+1555" + digits[:7], low, high)
        if fmt in _UUID_VERSIONS:
            return str(uuid.UUID(int=self.random.getrandbits(128), version=_UUID_VERSIONS[fmt]))
        if fmt in ("email", "idn-email"):
            local = f"u{self.unique}" if self.unique is not None else "user"
            return _fit(local, low, high, "@example.com")
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        if self.unique is not None:
            word = re.sub(r"[^a-z0-9]", "", (name or "").lower())[:8] or "perf"
            text = f"{word}-{self.unique}"
            if high is not None and len(text) > high:
                text = self.unique if len(self.unique) <= high else self.unique[-high:]
            return _fit(text, low, high)
        return _fit("perf", low, high)

    def patterned(self, pattern: str, low: int, high: int | None) -> str:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise Unbuildable(f"pattern {pattern!r} is not a Python regex ({exc})") from None
        source = self.random
        if self.unique is not None:
            source = random.Random(f"{self.random.random()}\x00{self.unique}")
        first_cap = max(1, min(high, 10)) if high is not None else 10
        for attempt in range(_PATTERN_TRIES):
            # short repeats first (most strings must fit a maxLength), longer ones later
            maker = _Xeger(source, min(100, first_cap * 2 ** (attempt // 8)))
            try:
                text = maker.xeger(pattern)
            except Exception:  # rstr cannot walk every regex feature (lookarounds, ...)
                break
            if len(text) >= low and (high is None or len(text) <= high) and compiled.search(text):
                return text
        raise Unbuildable(f"no string matching pattern {pattern!r} within the length limits")


class _Xeger(rstr.Rstr):
    """rstr's generator with `*`, `+` and `{n,}` capped at `cap` repeats instead of its fixed
    100, so that strings under a maxLength come out in the first tries."""

    def __init__(self, source: random.Random, cap: int):
        super().__init__(source)
        self.cap = cap

    def _handle_repeat(self, start_range: int, end_range: int, value) -> str:
        return super()._handle_repeat(start_range, min(end_range, max(start_range, self.cap)),
                                      value)


def _tighter(current, candidate, pick):
    if candidate is None:
        return current
    return candidate if current is None else pick(current, candidate)


def _multiple(start, step, low, high, integer: bool):
    """The first multiple of `step` at or above `start` (below `high`), in a form that
    jsonschema's own multipleOf check accepts."""
    k = math.ceil(start / step) if start is not None else 1
    for n in range(k, k + 50):
        value = n * step
        if isinstance(step, float):
            value = round(value, 12)
        if integer and not float(value).is_integer():
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            if high is not None and value > high:
                break
            continue
        quotient = value / step
        if isinstance(step, float) and int(quotient) != quotient:
            continue
        return int(value) if integer else value
    raise Unbuildable(f"no multiple of {step} within the bounds")


def _fit(text: str, low: int, high: int | None, suffix: str = "") -> str:
    """`text` + `suffix` padded with 'x' to `low` characters and cut to `high`."""
    room = None if high is None else max(high - len(suffix), 0)
    if room is not None:
        text = text[:room]
    text = text + "x" * max(low - len(text) - len(suffix), 0)
    return text + suffix
