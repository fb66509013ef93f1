"""Before the attacks, at every server start: learn ids that exist for the path parameters no
--param names (collector/requests/known_ids.py says where), and rebuild the operations with
them. --param wins; a parameter with nothing to learn keeps its generated value (its 404 is
then explained as "no such id").

A value learned for a named parameter (`project_id`) is used wherever that name appears, in a
path, a query or a body (`POST /tags {"notebook_id": ...}`); a bare `{id}` names a different
thing on every route, so it is used on that route only.
"""

from __future__ import annotations

from dataclasses import replace

from perf.collector.requests.discovery import Discovery, Overrides, discover
from perf.collector.requests.known_ids import (Learned, collection_of, fill, items_of, me_routes,
                                               names_a_user, parse, placeholders, usable,
                                               value_in)
from perf.collector.server.server import http_exchange


def learn_ids(found: Discovery, spec: dict, wanted: Overrides, base: str,
              auth: dict[str, str] | None, *, creates: bool, salt: str,
              keep: set[str] = frozenset()) -> list[Learned]:
    """Learn values for `found`'s path parameters and rebuild its endpoints in place with them
    (except those named in `keep`, such as the login route with its credentials). `creates`:
    may perf call a create route when a list is empty (not in a dry run)."""
    learner = _Learner(spec, wanted, base, auth or {}, creates, salt)
    per_endpoint: dict[str, dict[str, Learned]] = {}
    for endpoint in found.endpoints:
        values: dict[str, Learned] = {}
        own_wanted = wanted.for_operation(endpoint.method, endpoint.path)
        for name in placeholders(endpoint.path):
            given = own_wanted.param(name)
            if given is not None:
                values[name] = Learned(name, given, "--param")
                continue
            collection = collection_of(endpoint.path, name)
            got = learner.learn(collection, name, {k: v.value for k, v in values.items()}) \
                if collection else None
            if got is None or not usable(got, endpoint.method):
                break
            values[name] = got
        learned = {k: v for k, v in values.items() if v.source != "--param"}
        if learned:
            per_endpoint[endpoint.name] = learned
    everywhere = {}
    for values in per_endpoint.values():
        for name, got in values.items():
            if name != "id":
                everywhere.setdefault(name, got)
    if not per_endpoint:
        return []
    rebuilt = []
    for endpoint in found.endpoints:
        if endpoint.name in keep:
            rebuilt.append(endpoint)
            continue
        own = per_endpoint.get(endpoint.name, {})
        params = [g for g in ({**everywhere, **own}).values() if usable(g, endpoint.method)]
        again = discover(spec, replace(wanted, filters=(), endpoints=(endpoint.name,),
                                       params=(*((g.name, g.value) for g in params),
                                               *wanted.params)))
        rebuilt.append(again.endpoints[0] if again.endpoints else endpoint)
    found.endpoints[:] = rebuilt
    seen: dict[tuple[str, str], Learned] = {}
    for values in per_endpoint.values():
        for got in values.values():
            seen.setdefault((got.name, got.source), got)
    return list(seen.values())


class _Learner:
    def __init__(self, spec: dict, wanted: Overrides, base: str, auth: dict[str, str],
                 creates: bool, salt: str):
        self.spec, self.wanted, self.base, self.auth = spec, wanted, base.rstrip("/"), auth
        self.creates, self.salt = creates, salt
        self.paths = spec.get("paths") or {}
        self.cache: dict[tuple, Learned | None] = {}
        self.me_answers: dict[str, object] = {}  # who-am-I route -> its answer (once)

    def learn(self, collection: str, name: str, outer: dict[str, str]) -> Learned | None:
        key = (collection, name, tuple(sorted(outer.items())))
        if key not in self.cache:
            self.cache[key] = None
            # /devices/serial/{serial} looks its item up by another field: the items are
            # those of /devices. Fixed segments are dropped from the end until a route answers.
            for path in _collections(collection):
                got = self._from_list(path, name, outer) or (
                    self._from_create(path, name, outer) if self.creates else None)
                if got is not None:
                    self.cache[key] = got
                    break
            else:
                self.cache[key] = self._from_me(collection, name)
        return self.cache[key]

    def _from_me(self, collection: str, name: str) -> Learned | None:
        """The logged-in user's own value (GET /user), for a parameter that names a user."""
        if not self.auth:
            return None
        for path in me_routes(self.paths):
            if not names_a_user(name, collection, path):
                continue
            if path not in self.me_answers:
                try:
                    status, _, body = http_exchange("GET", self.base + path, self.auth, timeout=30)
                except OSError:
                    status, body = 0, b""
                self.me_answers[path] = parse(body) if 200 <= status < 300 else None
            value = value_in(self.me_answers[path], name)
            if value is not None:
                return Learned(name, value, f"GET {path} (the logged-in user)", own_account=True)
        return None

    def _route(self, collection: str, method: str) -> str | None:
        for path in (collection, collection + "/"):
            item = self.paths.get(path)
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                return path
        return None

    def _from_list(self, collection: str, name: str, outer: dict[str, str]) -> Learned | None:
        path = self._route(collection, "get")
        url_path = fill(path, outer) if path else None
        if url_path is None:
            return None
        try:
            status, _, body = http_exchange("GET", self.base + url_path, self.auth, timeout=30)
        except OSError:
            return None
        if not 200 <= status < 300:
            return None
        for item in items_of(parse(body)):
            value = value_in(item, name)
            if value is not None:
                return Learned(name, value, f"GET {path}")
        return None

    def _from_create(self, collection: str, name: str, outer: dict[str, str]) -> Learned | None:
        path = self._route(collection, "post")
        if path is None or fill(path, outer) is None:
            return None
        found = discover(self.spec, replace(self.wanted, filters=(), endpoints=(f"POST {path}",),
                                            methods=("POST",),
                                            params=(*outer.items(), *self.wanted.params)))
        if not found.endpoints:
            return None
        url, headers, body = found.endpoints[0].request(self.base, 0, self.salt)
        try:
            status, _, answer = http_exchange("POST", url, {**headers, **self.auth}, body, timeout=30)
        except OSError:
            return None
        if not 200 <= status < 300:
            return None
        value = value_in(parse(answer), name)
        return Learned(name, value, f"POST {path}") if value is not None else None


def _collections(collection: str) -> list[str]:
    """`collection`, then the paths above it while their last segment is fixed text."""
    out = [collection]
    segments = collection.split("/")
    while len(segments) > 2 and "{" not in segments[-1]:
        segments = segments[:-1]
        if "{" in segments[-1]:
            break
        out.append("/".join(segments))
    return out
