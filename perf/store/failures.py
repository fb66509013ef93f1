"""Why requests failed, in words a user can act on: a failing status code, the body the app
sent with it, and the option that most likely fixes it. Shared by the end of `perf collect`
and by every report, so both say the same thing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from perf.base.terminal import terminal_text

BODY_SAMPLE_BYTES = 2048  # what the store keeps of one failing response per status code
_PARAM = re.compile(r"{[^}]+}")
# What apps answer when a login is refused (fastapi-users' LOGIN_BAD_CREDENTIALS, the FastAPI
# tutorials' "Incorrect username or password", RealWorld's "email or password is invalid").
_BAD_LOGIN = re.compile(r"(?i)bad_credentials|incorrect (email|user ?name|username|password)|"
                        r"(email|user ?name|username) or password|invalid (credentials|login|"
                        r"username|password)|wrong (password|credentials)")
_LOGIN_ROUTE = re.compile(r"(?i)(^|/)(log-?in|sign-?in|token|access-token)([/_.-]|$)")


@dataclass(frozen=True)
class FailureContext:
    """What the run sent, so a hint never asks for what was given: credentials (a --header or
    --login), the --param names, and whether the server was reached by --url (only then can a
    404 come from a missing path prefix)."""

    credentials: bool = False
    login: bool = False
    params: frozenset[str] = frozenset()
    url_given: bool = False
    # Of the failing operation (perf.collector.requests.failure_facts, stored in the run's
    # config): it declares a 404 answer; the id-like fields of its query and body.
    declares_404: bool = False
    id_fields: tuple[str, ...] = ()

    @classmethod
    def of_run(cls, config: dict | None) -> "FailureContext":
        config = config or {}
        params = frozenset(str(p).split("=", 1)[0].rsplit(":", 1)[-1]
                           for p in config.get("params") or [])
        login = bool(config.get("login"))
        return cls(credentials=login or bool(config.get("headers")), login=login,
                   params=params, url_given=bool(config.get("url")))

    @classmethod
    def of_operation(cls, config: dict | None, endpoint: str) -> "FailureContext":
        """The run's context, with what the run stored of the operation `endpoint`."""
        run = cls.of_run(config)
        facts = ((config or {}).get("failure_facts") or {}).get(endpoint) or {}
        return replace(run, declares_404=bool(facts.get("declares_404")),
                       id_fields=tuple(facts.get("id_fields") or ()))


def body_text(body: bytes | None, limit: int = 300) -> str:
    """A response body as one printable line (a JSON body compacted), cut at `limit`."""
    if not body:
        return ""
    text = body.decode("utf-8", errors="replace")
    try:
        text = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        text = " ".join(text.split())
    text = terminal_text(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _detail(body: bytes | None) -> str | None:
    """FastAPI's error shape: {"detail": "..."} or {"detail": [{"loc": [...], "msg": ...}]}."""
    try:
        detail = json.loads(body or b"").get("detail")
    except (ValueError, AttributeError):
        return None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        where = ".".join(str(part) for part in first.get("loc", []))
        more = f" (and {len(detail) - 1} more)" if len(detail) > 1 else ""
        return f"{where}: {first.get('msg', 'invalid')}{more}" if where else str(first.get("msg"))
    return None


def detail_text(body: bytes | None) -> str:
    """What the app said in a failing answer, as a hint quotes it after the status code."""
    return _detail(body) or body_text(body, 120)


def likely_fix(code: int, body: bytes | None, error: str | None, path: str,
               every: bool = True, context: FailureContext = FailureContext()) -> str:
    """One line: what the failing answers were, and what to do about them. `every`: every
    request of the endpoint got this answer (a request the app refuses), rather than some
    (load, or some of the generated values)."""
    detail = detail_text(body)
    said = f" ({detail})" if detail else ""
    if code == 0:
        return _no_response(error or "", every)
    if code in (400, 401, 403) and (_BAD_LOGIN.search(detail or "") or
                                     (code == 401 and _LOGIN_ROUTE.search(path))):
        if context.login:
            return f"HTTP {code}{said}: the app refused the user and password of --login"
        return (f"HTTP {code}{said}: the login was refused: give a user that exists with "
                f"--login USER:PASSWORD (perf then logs in here with it, too)")
    if code in (401, 403) and not context.credentials:
        return (f"HTTP {code}{said}: the app wants credentials; send them with --login "
                f"USER:PASSWORD (perf logs in) or --header 'Authorization: Bearer TOKEN'")
    if code == 401:
        return (f"HTTP 401{said}: the credentials sent were refused (a wrong or expired "
                f"token, or another scheme than the app's?)")
    if code == 403:
        return (f"HTTP 403{said}: logged in, but this user may not do this (another "
                f"user's item, or a route for admins): log in as one who may")
    if code == 404:
        param = _PARAM.search(path)
        param = param.group(0)[1:-1] if param else None
        if param and param in context.params:
            return (f"HTTP 404{said}: no such item: the --param {param} given "
                    f"names none that exists")
        if not param and context.url_given and not context.declares_404:
            return f"HTTP 404{said}: not found at this URL (a path prefix missing from --url?)"
        if context.declares_404:  # the document says this route answers 404 for a missing item
            said = f"{said}: the app says no such item"
        if param:  # (the words "no such item" once, declared or not)
            return (f"HTTP 404{said.removesuffix(': the app says no such item')}: no such item "
                    f"(perf found none to use); name one that exists with --param {param}=VALUE")
        # The route came from the app's own document: the missing thing is in the request.
        field = next((f for f in context.id_fields if f not in context.params), None)
        if field:
            return (f"HTTP 404{said}: an id in the request ({field}) names nothing: give one "
                    f"that exists with --param {field}=VALUE")
        given = next((f for f in context.id_fields if f in context.params), None)
        if given:
            return f"HTTP 404{said}: the --param {given} given names none that exists"
        return (f"HTTP 404{said}: something the request names does not exist (an id in its "
                f"body or query?): give it with --param NAME=VALUE")
    if 300 <= code <= 399:  # a failure only under --success 2xx
        return (f"HTTP {code}{said}: a redirect (perf does not follow them; --success 2xx "
                f"counts it as a failure): attack the route it points to instead")
    if code == 405:
        return f"HTTP 405{said}: the method is not allowed here"
    if code == 422:
        return (f"HTTP 422: the app rejected the request: {detail or 'no detail'}; set the "
                f"value with --param NAME=VALUE, or give the requests with --targets FILE")
    if code == 429:
        return f"HTTP 429{said}: the app rate-limits; lower --rates or lift its limit for the test"
    if code in (502, 503, 504):
        return (f"HTTP {code}{said}: unavailable or timed out behind a gateway: the app (or a "
                f"proxy in front of it) is overloaded or not ready")
    if code >= 500:
        hint = ""
        if every and _PARAM.search(path):  # apps often crash on an id they do not have
            hint = (f"; if it fails on a missing item, name one that exists with "
                    f"--param {_PARAM.search(path).group(0)[1:-1]}=VALUE")
        return f"HTTP {code}{said}: the app failed; its traceback is in the server log{hint}"
    return f"HTTP {code}{said}"


def _no_response(error: str, every: bool = False) -> str:
    """vegeta's error for a request that got no HTTP answer, said in its consequences."""
    text = error.lower()
    if "deadline exceeded" in text or "timeout" in text:
        # Not one answer: also what a stream the document does not declare looks like
        # (declared ones are left out before the attack: collector/requests/side_effects.py).
        endless = ("; a route that never ends (a stream) needs --exclude" if every else "")
        return ("no response within --timeout: the server fell behind (requests queued) or the "
                f"route is that slow; lower --rates or raise --timeout{endless}")
    if "connection refused" in text:
        return "connection refused: the server was not listening (did it crash? see its log)"
    if "reset" in text or "eof" in text or "broken pipe" in text:
        return ("the server closed the connection without answering (a worker crashed or "
                "restarted? see its log)")
    return f"no response: {error or 'unknown error'}"
