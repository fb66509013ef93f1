"""Logging in as the user perf is given (--login USER:PASSWORD): where the app takes
credentials, what to post there, and the token in its answer. Pure: the sweep makes the calls
(perf.collector.sweep.login_session).

Where: the OAuth2 password flow's tokenUrl, when the document declares one; else, when the
document's only scheme for credentials is HTTP Basic, nowhere: the user and password go with
every request (`Authorization: Basic ...`); else a visible login route: a POST whose path says
login/token/signin/session/auth and whose body takes a password with a user name or email.
`--login-route "POST /path"` names it when perf cannot see it.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
from dataclasses import dataclass

from perf.base.errors import PerfError
from perf.collector.requests.schema.document import Schemas

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
BASIC = "HTTP Basic"  # a LoginRoute's kind when there is no route: credentials on every request
_STRONG_WORDS = re.compile(r"(?i)(^|[/_.-])(log-?in|sign-?in|token|tokens|session|sessions)([/_.-]|$)")
_WEAK_WORDS = re.compile(r"(?i)(^|[/_.-])(auth|authenticate|jwt)([/_.-]|$)")
# Routes that take a password but do not log in (and must not be called to get a token).
_NOT_LOGIN = re.compile(r"(?i)regist|sign-?up|reset|forgot|recover|change|verify|refresh|logout")
_USER_FIELDS = ("username", "email", "login", "user", "user_name", "name", "identifier")
_PASSWORD_FIELDS = ("password", "pass", "passwd", "pwd", "secret")
# Where apps put the token in their answer: top level, or one object down ({"user": {...}}).
_TOKEN_KEYS = ("access_token", "accessToken", "token", "jwt", "id_token", "idToken", "auth_token",
               "key")
SCHEMES = ("Bearer", "Token", "")  # tried in order on a protected route; "" = the raw token


@dataclass(frozen=True)
class LoginRoute:
    method: str  # "" for HTTP Basic (no route)
    path: str  # as the document names it (without the servers[0] prefix); "" for HTTP Basic
    kind: str  # FORM, JSON or BASIC
    user_field: str
    password_field: str
    wrapper: str | None  # JSON nested one level: {"user": {"email": .., "password": ..}}
    found_by: str  # "OAuth2 password flow", "a login route", "--login-route"
    scheme: str | None  # the document's own word for the token's scheme (Bearer), if it says

    @property
    def name(self) -> str:
        return self.kind if self.kind == BASIC else f"{self.method} {self.path}"


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float | None  # time.time() when it expires, when the answer says
    cookie: str | None = None  # "name=value" when the app keeps a session cookie instead


def find_login_route(spec: dict, route: str | None = None) -> LoginRoute:
    """The route perf logs in at; a one-line PerfError saying what it looked for."""
    schemas = Schemas(spec)
    paths = spec.get("paths") or {}
    scheme = _document_scheme(spec)
    if route:
        method, _, path = route.strip().partition(" ")
        operation = (paths.get(path.strip()) or {}).get(method.lower())
        if not isinstance(operation, dict):
            raise PerfError(f"--login-route {route!r}: no such operation in the app's document")
        found = _login_body(schemas, operation)
        if found is None:
            raise PerfError(f"--login-route {route!r}: its body takes no password field")
        return LoginRoute(method.upper(), path.strip(), *found, "--login-route", scheme)
    token_url = _oauth2_token_url(spec)
    if token_url is not None:
        path = _document_path(spec, token_url)
        operation = (paths.get(path) or {}).get("post")
        found = _login_body(schemas, operation) if isinstance(operation, dict) else None
        kind, user, password, wrapper = found or (FORM, "username", "password", None)
        return LoginRoute("POST", path, kind, user, password, wrapper, "OAuth2 password flow",
                          "Bearer")
    if scheme is None and _declares_basic(spec):
        return LoginRoute("", "", BASIC, "", "", None, "the document's security scheme", "Basic")
    visible = visible_login_route(spec)
    if visible is not None:
        return visible
    raise PerfError("--login: the app's document declares no OAuth2 password flow (tokenUrl) and "
                    "no POST route with login/token/signin/session/auth in its path takes a "
                    "password; name the route with --login-route 'POST /path'")


def visible_login_route(spec: dict) -> LoginRoute | None:
    """The POST whose path says login/token/signin/session/auth (the strongest word first) and
    whose body takes a password with a user name or email; None when there is none."""
    schemas = Schemas(spec)
    candidates = []
    for path, item in (spec.get("paths") or {}).items():
        operation = item.get("post") if isinstance(item, dict) else None
        if not isinstance(operation, dict) or _NOT_LOGIN.search(path):
            continue
        score = 2 if _STRONG_WORDS.search(path) else 1 if _WEAK_WORDS.search(path) else 0
        found = _login_body(schemas, operation) if score else None
        if found is not None:
            candidates.append((-score, len(candidates), path, found))
    if not candidates:
        return None
    _, _, path, found = min(candidates)
    return LoginRoute("POST", path, *found, "a login route", _document_scheme(spec))


def basic_token(user: str, password: str) -> Token:
    """HTTP Basic's credentials (RFC 7617), sent as the token with the Basic scheme."""
    return Token(base64.b64encode(f"{user}:{password}".encode()).decode(), None)


def login_request(route: LoginRoute, base_url: str, user: str,
                  password: str) -> tuple[str, str, dict[str, str], bytes]:
    """(method, url, headers, body) of the login call (a route's kind is FORM or JSON)."""
    if route.kind == FORM:
        fields = {route.user_field: user, route.password_field: password}
        if route.found_by == "OAuth2 password flow":
            fields = {"grant_type": "password", **fields}
        body = urllib.parse.urlencode(fields).encode()
    else:
        fields = {route.user_field: user, route.password_field: password}
        body = json.dumps({route.wrapper: fields} if route.wrapper else fields).encode()
    return route.method, base_url + route.path, {"Content-Type": route.kind}, body


def read_token(status: int, headers: dict[str, str], body: bytes, route: LoginRoute,
               now: float | None = None) -> Token:
    """The token in the login route's answer; a one-line PerfError when refused or absent."""
    if not 200 <= status < 300:
        raise PerfError(f"--login: {route.name} answered {status}{_detail(body)}: check the user "
                        f"and password (or name the route with --login-route)", exit_code=2)
    now = time.time() if now is None else now
    try:
        answer = json.loads(body or b"null")
    except ValueError:
        answer = None
    for holder in _holders(answer):
        for key in _TOKEN_KEYS:
            value = holder.get(key)
            if isinstance(value, str) and value:
                lifetime = holder.get("expires_in", answer.get("expires_in")
                                      if isinstance(answer, dict) else None)
                expires = (now + float(lifetime) if isinstance(lifetime, (int, float))
                           else jwt_expiry(value))
                return Token(value, expires)
    cookie = _session_cookie(headers)
    if cookie:
        return Token("", None, cookie)
    raise PerfError(f"--login: {route.name} answered {status} but no token perf knows "
                    f"(access_token, token, ...) nor a session cookie", exit_code=2)


def auth_headers(token: Token, scheme: str) -> dict[str, str]:
    if token.cookie:
        return {"Cookie": token.cookie}
    return {"Authorization": f"{scheme} {token.value}".strip()}


def jwt_expiry(value: str) -> float | None:
    """The `exp` claim of a JWT (read, not verified: perf only needs to know when to log in
    again), else None."""
    parts = value.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) else None


def protected_probe(spec: dict) -> str | None:
    """A GET without path parameters that the document says needs credentials: where perf
    checks which scheme the token goes with."""
    top = spec.get("security")
    for path, item in (spec.get("paths") or {}).items():
        operation = item.get("get") if isinstance(item, dict) else None
        if isinstance(operation, dict) and "{" not in path and operation.get("security", top):
            return path
    return None


def _holders(answer: object) -> list[dict]:
    if not isinstance(answer, dict):
        return []
    return [answer, *(v for v in answer.values() if isinstance(v, dict))]


def _session_cookie(headers: dict[str, str]) -> str | None:
    raw = next((v for k, v in headers.items() if k.lower() == "set-cookie"), None)
    return raw.split(";", 1)[0].strip() if raw and "=" in raw else None


def _detail(body: bytes) -> str:
    try:
        detail = json.loads(body or b"").get("detail")
    except (ValueError, AttributeError):
        return ""
    return f" ({detail})" if isinstance(detail, str) else ""


def _document_scheme(spec: dict) -> str | None:
    for scheme in ((spec.get("components") or {}).get("securitySchemes") or {}).values():
        if not isinstance(scheme, dict):
            continue
        if scheme.get("type") == "oauth2" or (
                scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer"):
            return "Bearer"
    return None


def _declares_basic(spec: dict) -> bool:
    return any(isinstance(scheme, dict) and scheme.get("type") == "http"
               and str(scheme.get("scheme", "")).lower() == "basic"
               for scheme in ((spec.get("components") or {}).get("securitySchemes") or {}).values())


def _oauth2_token_url(spec: dict) -> str | None:
    for scheme in ((spec.get("components") or {}).get("securitySchemes") or {}).values():
        if isinstance(scheme, dict) and scheme.get("type") == "oauth2":
            password = (scheme.get("flows") or {}).get("password") or {}
            if isinstance(password.get("tokenUrl"), str):
                return password["tokenUrl"]
    return None


def _document_path(spec: dict, url: str) -> str:
    """A tokenUrl as the document's paths name it: FastAPI writes it relative ("token",
    "/api/v1/login/access-token") and may include the servers[0] prefix."""
    path = "/" + urllib.parse.urlsplit(url).path.lstrip("/")
    paths = spec.get("paths") or {}
    if path in paths:
        return path
    matches = [p for p in paths if path.endswith(p) or p.endswith(path)]
    return max(matches, key=len) if matches else path


def _login_body(schemas: Schemas, operation: dict) -> tuple[str, str, str, str | None] | None:
    """(kind, user field, password field, JSON wrapper) of a body that takes credentials."""
    content = (operation.get("requestBody") or {})
    content = schemas.deref(content)[0].get("content") or {} if isinstance(content, dict) else {}
    for media, kind in ((FORM, FORM), ("multipart/form-data", FORM), (JSON, JSON)):
        entry = next((v for k, v in content.items() if k.split(";")[0].strip() == media), None)
        if not isinstance(entry, dict):
            continue
        props = _properties(schemas, entry.get("schema"))
        found = _credential_fields(props)
        if found:
            return (kind, *found, None)
        if kind == JSON:
            for wrapper, sub in props.items():
                inner = _credential_fields(_properties(schemas, sub))
                if inner:
                    return (kind, *inner, wrapper)
    return None


def _properties(schemas: Schemas, schema: object) -> dict:
    if not isinstance(schema, dict):
        return {}
    resolved = schemas.deref(schema)[0]
    props = dict(resolved.get("properties") or {})
    for part in resolved.get("allOf", []):
        props.update(_properties(schemas, part))
    return props


def _credential_fields(props: dict) -> tuple[str, str] | None:
    lowered = {name.lower(): name for name in props}
    password = next((lowered[f] for f in _PASSWORD_FIELDS if f in lowered), None)
    user = next((lowered[f] for f in _USER_FIELDS if f in lowered), None)
    return (user, password) if user and password else None
