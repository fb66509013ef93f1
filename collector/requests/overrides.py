"""What the user says about requests (--methods, --filter, --endpoint, --param, --header):
the options parsed and the operations they select (their secrets: collector/settings/secrets.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from perf.collector.settings.secrets import mask_header_text
from perf.base.errors import PerfError

METHODS_DEFAULT = ("GET", "POST", "PUT", "PATCH")  # DELETE only when asked: it destroys data


@dataclass(frozen=True)
class Overrides:
    methods: tuple[str, ...] = METHODS_DEFAULT
    filters: tuple[str, ...] = ()  # path prefixes, whole segments
    endpoints: tuple[str, ...] = ()  # "METHOD /path", or a bare path for every method
    params: tuple[tuple[str, str], ...] = ()  # --param name=value
    headers: tuple[tuple[str, str], ...] = ()  # --header "Name: value" (secrets)
    ids: int = 2000
    excludes: tuple[str, ...] = ()  # --exclude: glob patterns over "METHOD /path" and the path
    include_destructive: bool = False  # --include-destructive: no operation left out for its words

    def param(self, name: str, *, header: bool = False) -> str | None:
        """The --param value for `name` (the last one given wins); header names match
        case-insensitively, as HTTP reads them."""
        found = None
        for key, value in self.params:
            if key == name or (header and key.lower() == name.lower()):
                found = value
        return found

    def for_operation(self, method: str, path: str) -> "Overrides":
        """These overrides as one operation sees them: its own "METHOD /path:name" values
        join the plain ones (and win over them); other operations' are dropped."""
        scope = f"{method.upper()} {path}:"
        if not any(":" in key and " " in key for key, _ in self.params):
            return self
        params = tuple((k, v) for k, v in self.params if not (" " in k and ":" in k))
        params += tuple((k[len(scope):], v) for k, v in self.params if k.startswith(scope))
        return replace(self, params=params)

    def header(self, name: str) -> str | None:
        found = None
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found


HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")


def parse_header(text: str, option: str = "--header") -> tuple[str, str]:
    """ "Name: value" as curl and vegeta take it."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t\r\n") or "\n" in value \
            or not value.strip():
        raise PerfError(f"bad {option} {mask_header_text(text)!r}: expected \"Name: value\", "
                        f"e.g. \"Authorization: Bearer TOKEN\"")
    return name, value.strip()


_SCOPED = re.compile(r"^\s*([A-Za-z]+)\s+(/[^=\s]*):([^=\s]+)=(.*)$", re.S)


def parse_param(text: str, option: str = "--param") -> tuple[str, str]:
    """ "name=value", or "METHOD /path:name=value" for one operation only (kept as the name
    "METHOD /path:name"); the value may itself contain '='."""
    scoped = _SCOPED.match(text)
    if scoped:
        method, path, name, value = scoped.groups()
        return f"{method.upper()} {path}:{name}", value
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
        raise PerfError(f"bad {option} {text!r}: expected name=value, e.g. item_id=42")
    return name.strip(), value


def parse_methods(text: str, option: str = "--methods") -> tuple[str, ...]:
    """ "GET,POST,DELETE" -> ("GET", "POST", "DELETE")."""
    methods = tuple(dict.fromkeys(m.strip().upper() for m in text.split(",") if m.strip()))
    bad = [m for m in methods if m not in HTTP_METHODS]
    if bad or not methods:
        raise PerfError(f"bad {option} {text!r}: use a comma-separated list of "
                        f"{', '.join(HTTP_METHODS)}")
    return methods


def selectors(method: str, path: str, overrides: Overrides) -> list[str]:
    """The --filter and --endpoint values that pick an operation."""
    return ([f for f in overrides.filters if _under(path, f)]
            + [e for e in overrides.endpoints if _named(e, method, path)])


def _under(path: str, prefix: str) -> bool:
    """Prefixes match whole segments: /api/simple/async is not a prefix of .../async_blocking."""
    prefix = prefix.rstrip("/") or "/"
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def _named(name: str, method: str, path: str) -> bool:
    """--endpoint "METHOD /path" names one operation; a bare path names every method."""
    name = name.strip()
    if " " in name:
        wanted, wanted_path = name.split(None, 1)
        return wanted.upper() == method and wanted_path.strip() == path
    return name == path
