"""The requests for one OpenAPI operation: its parameters and body, from examples or generated
from their schemas, with the user's --param values put in wherever they fit.

Built once per operation (Unbuildable carries why not); `request(i, salt)` then makes the i-th
request of an attack cheaply: only ranged ids and fields that look unique change per line.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field

from perf.collector.requests.bodies import JSON, encode, media_kind, pick_media_type
from perf.collector.requests.overrides import Overrides
from perf.collector.requests.schema.document import Schemas
from perf.collector.requests.schema.errors import Unbuildable
from perf.collector.requests.schema.examples import holder_examples
from perf.collector.requests.schema.names import token

LOCATIONS = ("path", "query", "header", "cookie")


@dataclass
class Param:
    location: str
    name: str
    schema: dict
    values: list  # cycled over per request (several only for ranged integer ids)
    given: bool = False  # from --param: sent as typed, never varied
    unique: list = field(default_factory=list)  # Schemas.unique_fields: remade per request

    @property
    def varies(self) -> bool:
        return bool(self.unique)


@dataclass
class Body:
    media_type: str
    schema: dict
    value: object
    encoding: dict = field(default_factory=dict)
    given: dict = field(default_factory=dict)  # top-level fields set by --param
    unique: list = field(default_factory=list)  # Schemas.unique_fields, less the given ones

    @property
    def varies(self) -> bool:
        return bool(self.unique)


@dataclass
class Prepared:
    """One concrete request: path with query, headers, body."""

    target: str  # "/items/3?limit=5"
    headers: dict[str, str]
    body: bytes | None
    content_type: str | None


class OperationRequests:
    def __init__(self, schemas: Schemas, path: str, seed: str, params: list[Param],
                 body: Body | None):
        self.schemas, self.path, self.seed = schemas, path, seed
        self.params, self.body = params, body

    @property
    def cycle(self) -> int:
        return max((len(p.values) for p in self.params), default=1)

    @property
    def varies(self) -> bool:
        return any(p.varies for p in self.params) or bool(self.body and self.body.varies)

    def lines(self, count: int) -> int:
        """How many target lines make the attack: one per request when something is unique,
        else one per distinct request."""
        count = max(count, 1)
        return count if self.varies else min(count, self.cycle)

    def body_example(self) -> object | None:
        if self.body is None or media_kind(self.body.media_type) != JSON:
            return None
        value = self.body.value
        if self.body.given and isinstance(value, dict):
            value = {**value, **self.body.given}
        return value

    def values(self, index: int, salt: str) -> list[tuple[Param | Body, object]]:
        """Request `index`'s parameter and body values (before encoding), each with what it
        belongs to: ranged ids cycled, fields that look unique remade from (salt, index)."""
        unique = token(salt, index)
        out: list[tuple[Param | Body, object]] = []
        for p in self.params:
            value = p.values[index % len(p.values)]
            if p.unique:
                value = self.schemas.vary(value, p.schema, unique, fields=p.unique,
                                          seed=f"{self.seed}/{p.location}/{p.name}")
            out.append((p, value))
        if self.body is not None:
            value = self.body.value
            if self.body.unique:
                value = self.schemas.vary(value, self.body.schema, unique,
                                          fields=self.body.unique, seed=f"{self.seed}/body")
            out.append((self.body, value))
        return out

    def request(self, index: int, salt: str) -> Prepared:
        path = self.path
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        cookies: list[str] = []
        body = None
        for part, value in self.values(index, salt):
            if isinstance(part, Body):
                body = (part, value)
                continue
            text = str(value) if part.given else ",".join(_texts(value))
            if part.location == "path":
                safe = "/" if part.given else ""
                path = path.replace("{" + part.name + "}", urllib.parse.quote(text, safe=safe))
            elif part.location == "query":
                query.extend(_query_pairs(part.name, value, part.given))
            elif part.location == "header":
                headers[part.name] = text
            else:
                cookies.append(f"{part.name}={urllib.parse.quote(text, safe='')}")
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        target = path + ("?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
                         if query else "")
        if body is None:
            return Prepared(target, headers, None, None)
        part, value = body
        if part.given and isinstance(value, dict):
            value = {**value, **part.given}
        content_type, data = encode(part.media_type, value, part.schema, self.schemas,
                                    part.encoding)
        headers["Content-Type"] = content_type
        return Prepared(target, headers, data, content_type)


def _texts(value: object) -> list[str]:
    """A parameter value as OpenAPI's default styles write it (arrays comma-joined in paths
    and headers, repeated in queries; booleans lower-case)."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (str(k), *_texts(v))]
    return [str(value)]


def _query_pairs(name: str, value: object, given: bool) -> list[tuple[str, str]]:
    if given:
        return [(name, str(value))]
    if isinstance(value, dict):  # style form, explode: each property its own pair
        return [(str(k), t) for k, v in value.items() for t in _texts(v)]
    return [(name, t) for t in _texts(value)]


# ---------------------------------------------------------------- building

def build_operation(schemas: Schemas, method: str, path: str, operation: dict,
                    path_item: dict, overrides: Overrides,
                    api_keys: tuple[tuple[str, str], ...] = ()) -> OperationRequests:
    """The requests of one operation, or Unbuildable with a one-line reason. `api_keys` are
    the (location, name) of the query or cookie API keys its security asks for: sent when
    --param gives them, as they are no declared parameter."""
    seed = f"{method} {path}"
    params = [_param(schemas, raw, seed, overrides) for raw in _parameters(schemas, operation,
                                                                         path_item)]
    params = [p for p in params if p is not None]
    declared = {(p.location, p.name) for p in params}
    for location, name in api_keys:
        given = overrides.param(name)
        if given is not None and (location, name) not in declared:
            params.append(Param(location, name, {}, [given], given=True))
    missing = [n for n in _template_names(path) if n not in {p.name for p in params
                                                                if p.location == "path"}]
    for name in missing:  # a template name the document forgot to declare
        given = overrides.param(name)
        if given is None:
            raise Unbuildable(f"path parameter {name!r} is not declared; give it with --param")
        params.append(Param("path", name, {}, [given], given=True))
    body = _body(schemas, operation, seed, overrides)
    return OperationRequests(schemas, path, seed, params, body)


def _template_names(path: str) -> list[str]:
    names, rest = [], path
    while "{" in rest and "}" in rest.split("{", 1)[1]:
        inner, rest = rest.split("{", 1)[1].split("}", 1)
        names.append(inner)
    return names


def _parameters(schemas: Schemas, operation: dict, path_item: dict) -> list[dict]:
    """Path-item parameters overridden by the operation's own, by (name, in)."""
    merged: dict[tuple[str, str], dict] = {}
    for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        param = schemas.deref(raw)[0] if isinstance(raw, dict) else {}
        if "name" not in param or "in" not in param:
            raise Unbuildable("a parameter without a name or location")
        merged[(param["name"], param["in"])] = param
    return list(merged.values())


def _param(schemas: Schemas, raw: dict, seed: str, overrides: Overrides) -> Param | None:
    location, name = raw["in"], raw["name"]
    if location not in LOCATIONS:
        raise Unbuildable(f"parameter {name!r} in {location!r} is not an OpenAPI location")
    given = overrides.param(name, header=location in ("header", "cookie"))
    if location == "header":
        if overrides.header(name) is not None:
            return None  # --header supplies it
        if name.lower() in ("accept", "content-type", "authorization") and given is None \
                and not raw.get("required"):
            return None  # OpenAPI says these are described elsewhere
    if given is not None:
        return Param(location, name, {}, [given], given=True)
    if not raw.get("required") and location != "path":
        return None
    what = f"{location} parameter {name!r}"
    schema, examples, as_json = _param_schema(schemas, raw)
    if location == "path":
        ids = _id_range(schemas, schema, overrides.ids)
        if ids:
            return Param(location, name, schema, ids)
    try:
        value = schemas.value(schema, name=name, seed=f"{seed}/{location}/{name}",
                              examples=tuple(examples))
    except Unbuildable as exc:
        raise Unbuildable(f"{what}: {exc}") from None
    if as_json:
        return Param(location, name, {}, [json.dumps(value, separators=(",", ":"))], given=True)
    param = Param(location, name, schema, [value])
    if location == "query":
        param.unique = schemas.unique_fields(value, schema, name)
    return param


def _param_schema(schemas: Schemas, raw: dict) -> tuple[dict, list, bool]:
    """(schema, example values, whether the value travels as JSON text): a parameter has a
    `schema`, or a `content` map with one media type that holds it."""
    examples = holder_examples(raw)
    if "schema" in raw:
        return schemas.schema(raw["schema"]), examples, False
    content = raw.get("content") or {}
    if len(content) != 1:
        raise Unbuildable(f"parameter {raw['name']!r} has no schema")
    media = next(iter(content.values())) or {}
    return schemas.schema(media.get("schema")), examples + holder_examples(media), True


def _id_range(schemas: Schemas, schema: dict, ids: int) -> list[int]:
    """An integer id with a declared range: up to `ids` values of it, so reads touch many
    rows instead of one cached row."""
    resolved = schemas.deref(schema)[0]
    if "anyOf" in resolved:
        branches = [schemas.deref(b)[0] for b in resolved["anyOf"] if isinstance(b, dict)]
        resolved = next((b for b in branches if b.get("type") == "integer"), resolved)
    if resolved.get("type") != "integer" or resolved.get("multipleOf"):
        return []
    low = resolved.get("minimum")
    if low is None and "exclusiveMinimum" in resolved:
        low = int(resolved["exclusiveMinimum"]) + 1
    high = resolved.get("maximum")
    if high is None and "exclusiveMaximum" in resolved:
        high = int(resolved["exclusiveMaximum"]) - 1
    if low is None or high is None or high < low:
        return []
    values = list(range(int(low), min(int(high), int(low) + max(ids, 1) - 1) + 1))
    return values if all(schemas.valid(v, schema) for v in (values[0], values[-1])) else []


def _body(schemas: Schemas, operation: dict, seed: str, overrides: Overrides) -> Body | None:
    raw = operation.get("requestBody")
    if not raw:
        return None
    body = schemas.deref(raw)[0]
    content = body.get("content") or {}
    if not content:
        return None
    media_type = pick_media_type(content)
    if media_type is None:
        if not body.get("required"):
            return None
        raise Unbuildable(f"request body: {', '.join(content)} is not supported")
    media = content[media_type] or {}
    schema = schemas.schema(media.get("schema"))
    try:
        value = schemas.value(schema, seed=f"{seed}/body",
                              examples=tuple(holder_examples(media)))
    except Unbuildable as exc:
        if not body.get("required"):
            return None
        raise Unbuildable(f"request body: {exc}") from None
    given = _given_fields(schemas, schema, value, media_type, overrides)
    unique = [f for f in schemas.unique_fields(value, schema) if f[0][:1] not in
              {(name,) for name in given}]  # --param fields never vary
    return Body(media_type, schema, value, media.get("encoding") or {}, given, unique)


def _given_fields(schemas: Schemas, schema: dict, value: object, media_type: str,
                  overrides: Overrides) -> dict:
    """Top-level body fields that --param names. JSON fields get the typed value the text
    stands for (`5` the number, `true` the boolean) when the field's schema wants that."""
    if not overrides.params or not isinstance(value, dict):
        return {}
    resolved = schemas.deref(schema)[0]
    props = dict(resolved.get("properties") or {})
    for branch in resolved.get("allOf", []):
        props.update(schemas.deref(branch)[0].get("properties") or {})
    given = {}
    for name, sub in props.items():
        text = overrides.param(name)
        if text is None:
            continue
        given[name] = text
        if "json" in media_type.lower() and isinstance(sub, dict) and not schemas.valid(text, sub):
            try:
                typed = json.loads(text)
            except ValueError:
                continue
            given[name] = typed
    return given
