"""What perf attacks: the app (started by perf, or a running --url), how to tell it is ready,
and the operations it will attack — from the app's OpenAPI document or a --targets file.

Shared by the sweep and by --dry-run, so the plan shows exactly what a sweep would send.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, replace
from pathlib import Path

from perf.collector.requests.discovery import Discovery, Endpoint, Overrides, Skipped, discover, load_targets
from perf.collector.requests.login import (BASIC, find_login_route, login_request, protected_probe,
                                           visible_login_route)
from perf.collector.requests.operation import Prepared
from perf.collector.requests.targets_file import FileRequests
from perf.collector.settings.secrets import secret_values
from perf.collector.settings.request_options import HTTP_METHODS
from perf.collector.settings.settings import Settings
from perf.collector.server.server import AppSpec, Server, attach, fetch_openapi, inspect_app, start_server
from perf.base.errors import PerfError

DEFAULT_OPENAPI = "/openapi.json"


@dataclass(frozen=True)
class Target:
    """How to start (or reach) the app and where its readiness route and OpenAPI document are."""

    spec: AppSpec | None  # None: a server perf did not start (--url)
    openapi_path: str | None  # None: the app serves no OpenAPI document (openapi_url=None)
    ready_path: str
    ready_needs_2xx: bool
    title: str | None = None  # the app's own title, when perf imported it
    uvicorn_version: str | None = None  # in the app's interpreter, when perf imported it


def locate(settings: Settings) -> Target:
    """Where everything is, before any server starts. Imports the app once (in the interpreter
    that will serve it) when perf starts it: an import error ends here, and the app's own
    openapi_url is the default place of its document."""
    named_health = settings.health_path is not None
    if settings.url:
        openapi_path = settings.openapi_url or DEFAULT_OPENAPI
        return Target(None, openapi_path, settings.health_path or openapi_path, named_health)
    spec = AppSpec(settings.app, settings.factory, settings.app_dir, settings.python)
    facts = inspect_app(spec)
    openapi_path = settings.openapi_url or facts.openapi_url
    # With no OpenAPI document (and no health route named), any HTTP answer at / means ready.
    ready_path = settings.health_path or openapi_path or "/"
    spec = AppSpec(spec.app, spec.factory, spec.app_dir, spec.python, ready_path, named_health)
    return Target(spec, openapi_path, ready_path, named_health, facts.title,
                  facts.uvicorn_version)


def start(settings: Settings, target: Target, workers: int | None, log_dir: Path) -> Server:
    if target.spec is None:
        return attach(settings.url, settings.pid, target.ready_path, target.ready_needs_2xx)
    return start_server(settings.server, target.spec, workers, log_dir,
                        ready_timeout_s=settings.start_timeout_s)


def overrides(settings: Settings) -> Overrides:
    return Overrides(
        methods=tuple(settings.methods), filters=tuple(settings.filters),
        endpoints=tuple(settings.endpoints), params=tuple(settings.params),
        headers=tuple(settings.headers), ids=settings.ids, excludes=tuple(settings.excludes),
        include_destructive=settings.include_destructive,
    )


def operations(settings: Settings, target: Target, server: Server) -> Discovery:
    """The operations to attack; a PerfError naming what exists when nothing is left."""
    wanted = overrides(settings)
    if settings.targets:
        found = load_targets(Path(settings.targets), wanted)
        everything = load_targets(Path(settings.targets), Overrides()).endpoints
        names = [e.name for e in everything]
    else:
        if target.openapi_path is None:
            raise PerfError("the app serves no OpenAPI document (its openapi_url is None): name "
                            "where it is with --openapi-url, or give the requests with "
                            "--targets FILE")
        spec = fetch_openapi(server, target.openapi_path)
        found = discover(spec, wanted)
        found.spec, found.wanted = spec, wanted
        _check_params(found, wanted)
        if settings.login:
            _plan_login(found, spec, wanted, settings)
        names = [f"{method.upper()} {path}" for path, item in spec.get("paths", {}).items()
                 if isinstance(item, dict) for method in item if method.upper() in HTTP_METHODS]
    if target.ready_needs_2xx:
        _leave_out_health_route(found, target.ready_path)
    if not found.endpoints:
        raise PerfError(_nothing_to_attack(settings, found, names))
    return found


def _check_params(found: Discovery, wanted: Overrides) -> None:
    """A --param that fills nothing is an error, not a silent no-op: a typo (nmu=3) would
    otherwise leave the generated value, and the user the belief theirs was sent."""
    attacked = {e.name for e in found.endpoints}
    every = set().union(*(found.value_names.get(n, set()) for n in attacked)) if attacked else set()
    for key, value in wanted.params:
        scope, _, name = key.rpartition(":") if " " in key else ("", "", key)
        if scope:
            if scope not in found.value_names:
                raise PerfError(f"--param {key}=...: no operation {scope} is attacked")
            seen = found.value_names[scope]
        else:
            seen = every
        if name.lower() not in {n.lower() for n in seen}:  # header names: any case
            known = ", ".join(sorted(seen)[:25]) or "none"
            raise PerfError(f"--param {name}=... matches no parameter or body field of "
                            f"{scope or 'the operations attacked'}; they take: {known}")


def _plan_login(found: Discovery, spec: dict, wanted: Overrides, settings: Settings) -> None:
    """Where perf logs in; and the login route, when attacked, logs in as the user too (its
    credentials for it alone: the same --param on every create would collide)."""
    found.login = find_login_route(spec, settings.login_route)
    found.probe_path = protected_probe(spec)
    # With HTTP Basic perf calls no route, but an app's own login route still takes the user.
    route = visible_login_route(spec) if found.login.kind == BASIC else found.login
    for n, endpoint in enumerate(found.endpoints):
        if route is not None and endpoint.method == route.method and endpoint.path == route.path:
            # The very request perf logs in with (a form, or JSON nested as the app wants it).
            method, url, headers, body = login_request(route, "", *settings.login)
            source = FileRequests()
            source.requests.append(Prepared(url, headers, body, headers["Content-Type"]))
            found.endpoints[n] = Endpoint(
                method, endpoint.path, source, headers=wanted.headers,
                secrets=secret_values(wanted.headers, (("password", settings.login[1]),)))
            found.login_endpoint = found.endpoints[n].name


def background_endpoints(settings: Settings, target: Target, server: Server,
                         named: list[str]) -> list[Endpoint]:
    """The operations background loads name (`--background "GET /x rate=5"`), found whether
    or not --filter/--endpoint picked them for attack; resolved by collector/load/background.py."""
    if not named:
        return []
    wanted = replace(overrides(settings), filters=(), endpoints=tuple(named))
    if settings.targets:
        return load_targets(Path(settings.targets), wanted).endpoints
    if target.openapi_path is None:
        return []
    return discover(fetch_openapi(server, target.openapi_path), wanted).endpoints


def _leave_out_health_route(found: Discovery, path: str) -> None:
    """The route the user named for readiness checks is not a scenario to load-test."""
    for endpoint in [e for e in found.endpoints if e.method == "GET" and e.path == path]:
        found.endpoints.remove(endpoint)
        found.skipped.append(Skipped(endpoint.name, "the readiness route (--health-path)"))


def _nothing_to_attack(settings: Settings, found: Discovery, names: list[str]) -> str:
    picked = ", ".join([*settings.filters, *settings.endpoints])
    if found.skipped:
        shown = "; ".join(f"{s.name}: {s.reason}" for s in found.skipped[:4])
        more = f"; and {len(found.skipped) - 4} more" if len(found.skipped) > 4 else ""
        return (f"nothing to attack{' under ' + picked if picked else ''}: every operation was "
                f"skipped ({shown}{more}); see `perf collect --dry-run`")
    listed = _summarise(names)
    if picked:
        return f"no operation matches {picked}; the app has: {listed or 'none'}"
    return "the app has no operations to attack" + (f" ({listed})" if listed else "")


def _summarise(names: list[str], limit: int = 12) -> str:
    """Operation names, or when there are many, their paths' first two segments with counts."""
    if len(names) <= limit:
        return ", ".join(names)
    groups: dict[str, int] = {}
    for name in names:
        path = name.split(" ", 1)[-1]
        fixed = [part for part in path.strip("/").split("/") if not part.startswith("{")]
        head = "/" + "/".join(fixed[:2])
        groups[head] = groups.get(head, 0) + 1
    return ", ".join(f"{head} ({n})" for head, n in groups.items())


def base_url(server: Server, found: Discovery) -> str:
    """Where request paths go: the server, plus the document's own server prefix (servers[0]
    in OpenAPI, e.g. /api/v1) unless the --url already ends with it."""
    prefix = (found.prefix or "").rstrip("/")
    path = urllib.parse.urlsplit(server.base_url).path.rstrip("/")
    if prefix and not path.endswith(prefix):
        return server.base_url + prefix
    return server.base_url
