"""Endpoints from the app's /openapi.json, and vegeta JSON targets that exercise them.

Path parameters come from the operation's examples; integer ids with a range (minimum/maximum)
cycle over it, so a read endpoint touches many rows instead of one cached row.
Operations marked `x-perf-skip` (health, docs) are never attacked; `x-perf-setup` ones
(POST /api/db/seed) run once before the attacks.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from perf.errors import PerfError

METHODS = ("get", "post")
METHODS_DEFAULT = ("GET", "POST", "PUT", "PATCH")


@dataclass(frozen=True)
class Overrides:
    methods: tuple[str, ...] = METHODS_DEFAULT
    filters: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    ids: int = 2000


@dataclass
class Skipped:
    name: str
    reason: str


def mask(value: str) -> str:
    return f"***({len(value)} chars)"


def load_targets(path: Path, overrides: Overrides) -> "Discovery":
    raise PerfError("--targets is not supported yet")
NEVER_ATTACK = {"/health", "/docs", "/redoc", "/openapi.json", "/metrics"}
_PARAM = re.compile(r"{([^}]+)}")


@dataclass
class Endpoint:
    method: str
    path: str
    path_values: dict[str, list] = field(default_factory=dict)
    query: dict[str, object] = field(default_factory=dict)
    body: object | None = None

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    def urls(self, base: str) -> list[str]:
        """Concrete URLs; parameters advance together, so N ids give N distinct URLs."""
        count = max((len(v) for v in self.path_values.values()), default=1)
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        out = []
        for i in range(count):
            path = _PARAM.sub(
                lambda m: str(self.path_values[m.group(1)][i % len(self.path_values[m.group(1)])]),
                self.path,
            )
            out.append(base.rstrip("/") + path + (f"?{query}" if query else ""))
        return out

    @property
    def body_example(self):
        return self.body

    def preview(self, base_url: str) -> dict:
        return {"method": self.method, "url": self.urls(base_url)[0], "headers": {},
                "body": json.dumps(self.body)[:200] if self.body is not None else None,
                "content_type": "application/json" if self.body is not None else None}

    def first_request(self, base_url: str):
        body = json.dumps(self.body).encode() if self.body is not None else None
        headers = {"Content-Type": "application/json"} if body else {}
        return self.method, self.urls(base_url)[0], headers, body

    def write_targets(self, base: str, dest: Path, *, count: int = 1, salt: str = "",
                      with_body: bool = True) -> Path:
        """vegeta's JSON targets format, one target per line. Without the body (vegeta's
        -body file then supplies one), the JSON content type is still declared."""
        header = {}
        body = None
        if self.body is not None:
            header = {"Content-Type": ["application/json"]}
            if with_body:
                body = base64.b64encode(json.dumps(self.body).encode()).decode()
        with open(dest, "w") as fh:
            for url in self.urls(base):
                target = {"method": self.method, "url": url, "header": header}
                if body is not None:
                    target["body"] = body
                fh.write(json.dumps(target) + "\n")
        return dest


@dataclass
class Discovery:
    endpoints: list[Endpoint]
    setup: list[Endpoint]
    skipped: list[Skipped] = field(default_factory=list)
    prefix: str = ""


def _resolve(spec: dict, schema: dict | None) -> dict | None:
    if schema and "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return spec.get("components", {}).get("schemas", {}).get(name)
    return schema


def _example(holder: dict | None) -> tuple[bool, object]:
    """An example value from an OpenAPI parameter, media type or schema object."""
    if not holder:
        return False, None
    if "example" in holder:
        return True, holder["example"]
    examples = holder.get("examples")
    if isinstance(examples, dict) and examples:
        first = next(iter(examples.values()))
        if isinstance(first, dict) and "value" in first:
            return True, first["value"]
    if isinstance(examples, list) and examples:
        return True, examples[0]
    return False, None


def _param_values(param: dict, ids: int) -> list:
    schema = param.get("schema", {})
    found, value = _example(param)
    if not found:
        found, value = _example(schema)
    kind = schema.get("type")
    if kind is None and "anyOf" in schema:
        kind = next((s.get("type") for s in schema["anyOf"] if s.get("type") != "null"), None)
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None and "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + 1
        if low is not None or high is not None:
            low = int(low if low is not None else 1)
            high = int(high if high is not None else low + ids - 1)
            return list(range(low, min(high, low + ids - 1) + 1))
    if found:
        return [value]
    if kind == "integer":
        return list(range(1, ids + 1))
    raise PerfError(f"path parameter {param.get('name')!r} has no example; add one to the app's OpenAPI")


def _body(spec: dict, operation: dict) -> tuple[bool, object]:
    body = operation.get("requestBody")
    if not body:
        return False, None
    media = body.get("content", {}).get("application/json")
    if media is None:
        raise PerfError("only JSON request bodies can be generated")
    found, value = _example(media)
    if not found:
        found, value = _example(_resolve(spec, media.get("schema")))
    if not found:
        raise PerfError("request body has no example; add one to the app's OpenAPI")
    return True, value


def discover(spec: dict, overrides: Overrides = Overrides()) -> Discovery:
    """Every GET/POST operation that can be attacked, and the setup operations."""
    ids = overrides.ids
    endpoints, setup = [], []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            name = f"{method.upper()} {path}"
            try:
                params = [p for p in op.get("parameters", []) if p.get("in") == "path"]
                values = {p["name"]: _param_values(p, ids) for p in params}
                query = {}
                for p in op.get("parameters", []):
                    if p.get("in") == "query" and p.get("required"):
                        query[p["name"]] = _param_values(p, 1)[0]
                has_body, body = _body(spec, op)
            except PerfError as exc:
                raise PerfError(f"{name}: {exc}") from None
            endpoint = Endpoint(method.upper(), path, values, query, body if has_body else None)
            if op.get("x-perf-setup"):
                setup.append(endpoint)
            elif not op.get("x-perf-skip") and path not in NEVER_ATTACK:
                endpoints.append(endpoint)
    endpoints = select(endpoints, list(overrides.filters), list(overrides.endpoints))
    return Discovery(endpoints, setup)


def select(endpoints: list[Endpoint], filters: list[str], names: list[str]) -> list[Endpoint]:
    """Keep endpoints whose path starts with a --filter prefix or whose name is an --endpoint.

    --endpoint accepts "METHOD /path" or a bare path (every method of that path).
    """
    if not filters and not names:
        return list(endpoints)
    return [
        e for e in endpoints
        if any(_under(e.path, prefix) for prefix in filters)
        or any(_named(name, e) for name in names)
    ]


def _under(path: str, prefix: str) -> bool:
    """Prefixes match whole segments: /api/simple/async is not a prefix of .../async_blocking."""
    prefix = prefix.rstrip("/") or "/"
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def _named(name: str, endpoint: Endpoint) -> bool:
    name = name.strip()
    if " " in name:
        method, path = name.split(None, 1)
        return method.upper() == endpoint.method and path.strip() == endpoint.path
    return name == endpoint.path
