"""--targets FILE: the user's own requests, in vegeta's JSON targets format (one JSON object a
line: method, url, header, base64 body) or its http format (a "METHOD URL" line, header lines,
an optional "@body-file" line; targets apart by blank lines; '#' lines are comments).

Requests are attacked exactly as written, grouped into endpoints by method + URL path (the query
is part of each request, not of the name). Only scheme://host:port is replaced, by the server
perf attacks: its port is known only once it has started.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from pathlib import Path

from perf.collector.requests.endpoint import Discovery, Endpoint
from perf.collector.requests.operation import Prepared
from perf.collector.requests.overrides import Overrides, selectors
from perf.collector.settings.secrets import secret_values
from perf.base.errors import PerfError

_REQUEST_LINE = re.compile(r"^[A-Z]+\s")  # vegeta's test for the start of a target


class FileRequests:
    """One endpoint's requests from the file, sent in the order written."""

    def __init__(self):
        self.requests: list[Prepared] = []

    def lines(self, count: int) -> int:
        return len(self.requests)

    def request(self, index: int, salt: str) -> Prepared:
        return self.requests[index % len(self.requests)]

    def body_example(self) -> object | None:
        first = self.requests[0]
        if first.body is None or "json" not in (first.content_type or "").lower():
            return None
        try:
            return json.loads(first.body)
        except ValueError:
            return None


def load_targets(path: Path, overrides: Overrides) -> Discovery:
    """The endpoints of a targets file; --filter/--endpoint select among them, --header values
    are added to every request (replacing a header of the same name)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PerfError(f"cannot read --targets {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise PerfError(f"cannot read --targets {path}: not UTF-8 text") from None
    first = next((line.strip() for line in text.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")), None)
    if first is None:
        raise PerfError(f"{path}: no targets in the file")
    parse = _json_targets if first.startswith("{") else _http_targets
    groups: dict[tuple[str, str], FileRequests] = {}
    for line_no, method, url, headers, body in parse(path, text):
        parts = urllib.parse.urlsplit(url)
        if not parts.path.startswith("/"):
            raise PerfError(f"{path}:{line_no}: the URL {url!r} has no path (/...)")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        key = (method, parts.path)
        groups.setdefault(key, FileRequests()).requests.append(
            Prepared(target, headers, body, content_type))
    found = Discovery([], [], [])
    used: set[str] = set()
    for (method, url_path), source in groups.items():
        found.operations.append(f"{method} {url_path}")
        matched = selectors(method, url_path, overrides)
        used.update(matched)
        if (overrides.filters or overrides.endpoints) and not matched:
            continue
        found.endpoints.append(Endpoint(method, url_path, source, headers=overrides.headers,
                                        secrets=secret_values(overrides.headers, overrides.params)))
    found.unmatched = [s for s in (*overrides.filters, *overrides.endpoints) if s not in used]
    return found


def _json_targets(path: Path, text: str):
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{line_no}"
        try:
            target = json.loads(line)
        except ValueError as exc:
            raise PerfError(f"{where}: not a JSON target ({exc.msg})") from None
        if not isinstance(target, dict):
            raise PerfError(f"{where}: not a JSON target (a JSON object per line)")
        method, url = target.get("method"), target.get("url")
        if not isinstance(method, str) or not method.strip():
            raise PerfError(f"{where}: the target has no \"method\"")
        if not isinstance(url, str) or not url.strip():
            raise PerfError(f"{where}: the target has no \"url\"")
        header = target.get("header") or {}
        if not isinstance(header, dict) or not all(
                isinstance(v, (str, list)) for v in header.values()):
            raise PerfError(f"{where}: \"header\" must map names to lists of values")
        headers = {k: (v if isinstance(v, str) else ", ".join(str(x) for x in v))
                   for k, v in header.items()}
        body = target.get("body")
        if body is not None:
            try:
                body = base64.b64decode(body, validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise PerfError(f"{where}: \"body\" is not base64 (vegeta's JSON format "
                                f"carries bodies base64-encoded)") from None
        yield line_no, method.strip().upper(), url.strip(), headers, body


def _http_targets(path: Path, text: str):
    """vegeta's http format. A body file path is read relative to the targets file."""
    current = None
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line or _REQUEST_LINE.match(line):
            if current:
                yield current
            current = None
            if not line:
                continue
        where = f"{path}:{line_no}"
        if current is None:
            method, _, url = line.partition(" ")
            if not _REQUEST_LINE.match(line) or not url.strip():
                raise PerfError(f"{where}: expected \"METHOD URL\", got {line[:80]!r}")
            current = [line_no, method, url.strip(), {}, None]
        elif line.startswith("@"):
            body_path = Path(line[1:].strip())
            if not body_path.is_absolute():
                body_path = path.parent / body_path
            try:
                current[4] = body_path.read_bytes()
            except OSError as exc:
                raise PerfError(f"{where}: cannot read body file {body_path}: "
                                f"{exc.strerror or exc}") from None
        else:
            name, sep, value = line.partition(":")
            if not sep or not name.strip() or not value.strip() or " " in name.strip():
                raise PerfError(f"{where}: expected a \"Name: value\" header, got {line[:80]!r}")
            headers = current[3]
            name, value = name.strip(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if current:
        yield current
