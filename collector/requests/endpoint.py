"""An endpoint perf attacks (one method + path) and the requests it sends: vegeta JSON
targets for an attack, the first request for a plan or a one-off call.

Where the requests come from is the endpoint's source: an OpenAPI operation
(perf.collector.requests.operation) or the lines of a --targets file (perf.collector.requests.targets_file). The
--header values go on every request either way, and are masked wherever they are shown.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from perf.collector.requests.operation import Prepared
from perf.collector.storage.scratch import private
from perf.collector.settings.secrets import Masker, looks_secret, mask

if TYPE_CHECKING:
    from perf.collector.requests.login import LoginRoute

EXCERPT = 200  # characters of body a plan shows


class Source(Protocol):
    def lines(self, count: int) -> int: ...
    def request(self, index: int, salt: str) -> Prepared: ...
    def body_example(self) -> object | None: ...


class Endpoint:
    def __init__(self, method: str, path: str, source: Source,
                 headers: tuple[tuple[str, str], ...] = (), secrets: tuple[str, ...] = (),
                 auth: tuple[str, ...] = ()):
        self.method = method
        self.path = path
        self.source = source
        self.headers = headers  # --header values: on every request, masked when shown
        self.secrets = Masker(secrets)  # perf.collector.settings.secrets.secret_values: never shown
        self.auth = auth  # what the document says the operation needs ("Authorization: Bearer")

    def __repr__(self) -> str:
        return f"Endpoint({self.name!r})"

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def body_example(self) -> object | None:
        """The JSON body as a Python value (what --large-body grows), else None."""
        return self.source.body_example()

    def request(self, base_url: str, index: int, salt: str) -> tuple[str, dict[str, str],
                                                                     bytes | None]:
        """(url, headers, body) of request `index` of an attack salted with `salt`."""
        prepared = self.source.request(index, salt)
        headers = dict(prepared.headers)
        for name, value in self.headers:
            for existing in [k for k in headers if k.lower() == name.lower()]:
                del headers[existing]
        for name, value in self.headers:
            headers[name] = value
        return base_url.rstrip("/") + prepared.target, headers, prepared.body

    def write_targets(self, base_url: str, dest: Path, *, count: int, salt: str,
                      with_body: bool = True, auth: dict[str, str] | None = None) -> Path:
        """vegeta JSON targets, one request a line: `count` of them when fields vary per
        request (unique fields change per line and per salt, so creates never collide across
        the attacks of a sweep), fewer when the endpoint has fewer distinct requests.
        Without the body (vegeta's -body then supplies one) the Content-Type stays."""
        with open(dest, "w", opener=private) as fh:  # its headers may be secrets
            for index in range(self.source.lines(count)):
                url, headers, body = self.request(base_url, index, salt)
                if auth:  # the logged-in user's token (--login), as it is now
                    headers = {**headers, **auth}
                target: dict = {"method": self.method, "url": url,
                                "header": {k: [v] for k, v in headers.items()}}
                if body is not None and with_body:
                    target["body"] = base64.b64encode(body).decode()
                fh.write(json.dumps(target) + "\n")
        return dest

    def first_request(self, base_url: str) -> tuple[str, str, dict[str, str], bytes | None]:
        """(method, url, headers, body) for a one-off call, such as a setup operation."""
        url, headers, body = self.request(base_url, 0, "first")
        return self.method, url, headers, body

    def preview(self, base_url: str) -> dict:
        """The first request as a plan shows it: header values that are secrets masked (every
        --header, and names like Authorization or X-API-Key), the body cut to an excerpt."""
        url, headers, body = self.request(base_url, 0, "preview")
        given = {name.lower() for name, _ in self.headers}
        shown = {name: (mask(value) if name.lower() in given or looks_secret(name)
                        else value) for name, value in headers.items()}
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        return {"method": self.method, "url": self._hide(url), "headers": shown,
                "body": None if body is None else self._excerpt(body, content_type),
                "content_type": content_type}

    def _excerpt(self, body: bytes, content_type: str | None) -> str:
        """At most EXCERPT characters on one line; a multipart body as its fields."""
        if (content_type or "").lower().startswith("multipart/"):
            text = _multipart_summary(content_type, body)
        else:
            text = body[: EXCERPT * 4].decode("utf-8", errors="replace")
            text = text.replace("\r", "\\r").replace("\n", "\\n")
            if len(body) > EXCERPT * 4:
                text += "..."
        text = self._hide(text)
        return text if len(text) <= EXCERPT else text[: EXCERPT - 3] + "..."

    def _hide(self, text: str) -> str:
        return self.secrets.text(text)


@dataclass
class Skipped:
    name: str  # "METHOD /path"
    reason: str  # one line


@dataclass
class Discovery:
    """What perf attacks in an app, from its OpenAPI document or a --targets file."""

    endpoints: list[Endpoint]  # what will be attacked, in document order
    setup: list[Endpoint]  # x-perf-setup operations, called once before the attacks
    skipped: list[Skipped]  # selected but not attacked, with why
    prefix: str = ""  # servers[0].url when it is a path ("/api/v1"): prepend to base URLs
    operations: list[str] = field(default_factory=list)  # every operation of the document
    unmatched: list[str] = field(default_factory=list)  # --filter/--endpoint matching nothing
    login: "LoginRoute | None" = None  # where perf logs in (--login)
    # The attacked operation that logs in as the user (its credentials set, never regenerated):
    # the login route, or with HTTP Basic the app's own login route when it has one.
    login_endpoint: str | None = None
    probe_path: str | None = None  # a protected GET: which scheme the token goes with
    # operation -> the names a --param can fill there (its parameters and body fields)
    value_names: dict[str, set[str]] = field(default_factory=dict)
    spec: dict | None = None  # the OpenAPI document the endpoints came from (ids are learned from it)
    wanted: object = None  # the Overrides they were built with


def _multipart_summary(content_type: str, body: bytes) -> str:
    """ "multipart: name=value, file=<perf-upload.txt, 12 bytes>" for a plan."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        return f"multipart body, {len(body)} bytes"
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            fields.append(f"{name}=<{part.get_filename()}, {len(payload)} bytes>")
        else:
            fields.append(f"{name}={payload.decode('utf-8', errors='replace')}")
    return "multipart: " + ", ".join(fields)
