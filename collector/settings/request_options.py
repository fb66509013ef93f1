"""The request options as the user writes them (--header, --param, --methods): parsed with
the other settings. What they select and fill is collector/requests/overrides.py."""

from __future__ import annotations

import re

from perf.base.errors import PerfError
from perf.collector.settings.secrets import mask_header_text

METHODS_DEFAULT = ("GET", "POST", "PUT", "PATCH")  # DELETE only when asked: it destroys data


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
