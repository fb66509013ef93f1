"""What perf attacks in an app: the operations of its OpenAPI document that the user's
selection keeps, each with requests built from the document, plus what was left out and why.

Selection (--filter, --endpoint, --methods, `x-perf-skip`) comes first, so an operation
outside it never has to be buildable. An operation perf cannot build (an unsupported body,
a value no schema accepts) is skipped with a one-line reason; nothing here stops a sweep.
`x-perf-setup` operations (target_app's POST /api/db/seed) are called once before attacks.
"""

from __future__ import annotations

import fnmatch
import re
import urllib.parse
from perf.collector.requests.endpoint import Discovery, Endpoint, Skipped
from perf.collector.requests.operation import build_operation
from perf.collector.requests.overrides import Overrides, selectors
from perf.collector.settings.request_options import HTTP_METHODS as METHODS, METHODS_DEFAULT
from perf.collector.settings.secrets import mask, secret_values
from perf.collector.requests.schema.document import Schemas
from perf.collector.requests.schema.errors import Unbuildable
from perf.collector.requests.side_effects import destructive_reason, fetches_url_reason, stream_reason
from perf.collector.requests.targets_file import load_targets
from perf.base.errors import PerfError

HTTP_METHODS = tuple(m.lower() for m in METHODS)  # as OpenAPI path items spell them
NEVER_ATTACK = {"/health", "/docs", "/redoc", "/openapi.json", "/metrics", "/docs/oauth2-redirect"}
_DOCUMENT = re.compile(r"/openapi\.(json|ya?ml)$")  # the document itself, wherever it is served

# What callers import from here (the contract), wherever it is defined.
__all__ = ["METHODS_DEFAULT", "NEVER_ATTACK", "Discovery", "Endpoint", "Overrides", "Skipped",
           "discover", "load_targets", "mask", "server_prefix", "auth_hints"]


def discover(spec: dict, overrides: Overrides = Overrides()) -> Discovery:
    """The endpoints to attack in an OpenAPI document (3.0 or 3.1), given the user's
    overrides."""
    if not isinstance(spec, dict) or "swagger" in spec:
        raise PerfError("the API document is not OpenAPI 3 (Swagger 2.0 is not supported)")
    paths = spec.get("paths") or {}
    if not isinstance(paths, dict):
        raise PerfError("the OpenAPI document's `paths` is not an object")
    schemas = Schemas(spec)
    methods = {m.upper() for m in overrides.methods}
    found = Discovery([], [], [], prefix=server_prefix(spec))
    used: set[str] = set()
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in [m for m in item if m in HTTP_METHODS]:
            operation = item[method] if isinstance(item[method], dict) else {}
            name = f"{method.upper()} {path}"
            found.operations.append(name)
            if path in NEVER_ATTACK or _DOCUMENT.search(path):
                continue
            if operation.get("x-perf-setup"):
                _add(found.setup, found.skipped, schemas, method, path, operation, item,
                     overrides, spec, why="x-perf-setup operation")
                continue
            matched = selectors(method.upper(), path, overrides)
            used.update(matched)
            if (overrides.filters or overrides.endpoints) and not matched:
                continue
            if operation.get("x-perf-skip"):
                found.skipped.append(Skipped(name, "x-perf-skip"))
                continue
            named = any(" " in m for m in matched)  # "DELETE /x" asks for that method
            if method.upper() not in methods and not named:
                found.skipped.append(Skipped(name, _method_reason(method.upper(), overrides)))
                continue
            excluded = next((p for p in overrides.excludes
                             if fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(path, p)), None)
            if excluded is not None:
                found.skipped.append(Skipped(name, f"--exclude {excluded}"))
                continue
            why_not = None if named else _left_out(method, path, operation, overrides)
            if why_not:
                found.skipped.append(Skipped(name, why_not))
                continue
            _add(found.endpoints, found.skipped, schemas, method, path, operation, item,
                 overrides, spec)
            found.value_names[name] = value_names(schemas, operation, item)
    found.unmatched = [s for s in (*overrides.filters, *overrides.endpoints) if s not in used]
    return found


def _left_out(method: str, path: str, operation: dict, overrides: Overrides) -> str | None:
    """Why an operation the selection kept is still left out by default (it destroys data,
    makes the app fetch a URL, or never ends), or None. --endpoint naming it brings it back."""
    stream = stream_reason(operation)
    if stream:
        return stream
    if overrides.include_destructive or method.upper() == "DELETE":
        return None  # a DELETE is attacked only when --methods asks for it: asked, it is wanted
    why = destructive_reason(method, path, operation) or fetches_url_reason(method, path)
    return (f"{why}: left out by default; bring it back with --endpoint '{method.upper()} {path}' "
            f"or --include-destructive") if why else None


def _add(into: list, skipped: list, schemas: Schemas, method: str, path: str, operation: dict,
         item: dict, overrides: Overrides, spec: dict, why: str = "") -> None:
    name = f"{method.upper()} {path}"
    overrides = overrides.for_operation(method, path)
    try:
        source = build_operation(schemas, method.upper(), path, operation, item, overrides,
                                 api_keys=_api_keys(spec, operation))
    except Unbuildable as exc:
        skipped.append(Skipped(name, f"{why}: {exc}" if why else str(exc)))
        return
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        # A document malformed in a way no rule above foresaw: that operation is skipped
        # with what went wrong, the others are still attacked.
        reason = f"perf cannot read this operation ({type(exc).__name__}: {exc})"
        skipped.append(Skipped(name, reason.splitlines()[0][:200]))
        return
    into.append(Endpoint(method.upper(), path, source, headers=overrides.headers,
                         secrets=secret_values(overrides.headers, overrides.params),
                         auth=auth_hints(spec, operation)))


def value_names(schemas: Schemas, operation: dict, item: dict) -> set[str]:
    """The names a --param can fill in one operation: its parameters' and its body's top-level
    fields (form or JSON)."""
    names = set()
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        param = schemas.deref(raw)[0] if isinstance(raw, dict) else {}
        if isinstance(param.get("name"), str):
            names.add(param["name"])
    body = operation.get("requestBody")
    content = (schemas.deref(body)[0].get("content") or {}) if isinstance(body, dict) else {}
    for media in content.values():
        schema = schemas.deref(media.get("schema") or {})[0] if isinstance(media, dict) else {}
        for part in [schema, *[schemas.deref(p)[0] for p in schema.get("allOf", [])
                               if isinstance(p, dict)]]:
            names.update(part.get("properties") or {})
    return names


def _method_reason(method: str, overrides: Overrides) -> str:
    if method == "DELETE" and "DELETE" not in overrides.methods:
        return "DELETE is left out unless --methods includes it"
    return f"{method} is not in --methods ({','.join(overrides.methods)})"


def server_prefix(spec: dict) -> str:
    """The path of servers[0].url when it is relative ("/api/v1"), as FastAPI writes it for
    an app behind a root_path; "" otherwise."""
    servers = spec.get("servers") or []
    url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith("//"):
        return ""
    return urllib.parse.urlsplit(url).path.rstrip("/")


def _security_schemes(spec: dict, operation: dict) -> list[dict]:
    requirements = operation.get("security", spec.get("security")) or []
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    return [schemes[name] for requirement in requirements if isinstance(requirement, dict)
            for name in requirement if isinstance(schemes.get(name), dict)]


def _api_keys(spec: dict, operation: dict) -> tuple[tuple[str, str], ...]:
    return tuple((s.get("in"), s.get("name")) for s in _security_schemes(spec, operation)
                 if s.get("type") == "apiKey" and s.get("in") in ("query", "cookie"))


def auth_hints(spec: dict, operation: dict) -> tuple[str, ...]:
    """What the document says an operation needs to be let in, as a --header would give it
    ("Authorization: Bearer <token>", "X-API-Key: <key>")."""
    hints: list[str] = []
    for scheme in _security_schemes(spec, operation):
        kind = scheme.get("type")
        if kind == "apiKey":
            where = scheme.get("in")
            hint = (f"{scheme.get('name')}: <key>" if where == "header"
                    else f"--param {scheme.get('name')}=<key> ({where})")
        elif kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
            hint = "Authorization: Basic <credentials>"
        elif kind in ("http", "oauth2", "openIdConnect"):
            hint = "Authorization: Bearer <token>"
        else:
            continue
        if hint not in hints:
            hints.append(hint)
    return tuple(hints)
