"""One value built from a JSON Schema's type and constraints: deterministic (randomness comes from
a random.Random seeded with a string, never from the process), every format pydantic writes,
patterns filled by `rstr` (xeger over Python's own regex parser) and checked with `re.search`
(JSON Schema patterns are unanchored)."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import re
import uuid
from typing import TYPE_CHECKING

import rstr

from perf.collector.requests.schema.errors import Unbuildable
from perf.collector.requests.schema.examples import LOOPBACK_URL, schema_examples
from perf.collector.requests.schema.names import looks_unique, named_format

if TYPE_CHECKING:
    from perf.collector.requests.schema.document import Schemas

_MAX_DEPTH = 24
_PATTERN_TRIES = 40

# Keywords that say nothing about which values are valid.
_ANNOTATIONS = ("title", "description", "default", "examples", "example", "deprecated",
                "readOnly", "writeOnly", "$comment", "externalDocs", "xml", "$schema", "$id")

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
            fmt = named_format(name)
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
