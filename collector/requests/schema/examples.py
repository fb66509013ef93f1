"""The example values a document gives (a schema's, a parameter's, a media type's), with every
URL in them that leads off the machine moved to loopback."""

from __future__ import annotations

import re

# Where a URL perf makes up points: loopback, port 9 (discard), where nothing listens, so an
# app that fetches or calls back a URL it was given never sends anything off the machine.
LOOPBACK_URL = "http://127.0.0.1:9/"


def schema_examples(schema: dict, *, default: bool = False) -> list:
    """A schema's own example values (then its default, if asked), in the order perf tries
    them."""
    out = []
    if isinstance(schema.get("examples"), list):
        out.extend(schema["examples"])
    if "example" in schema:
        out.append(schema["example"])
    if default and "default" in schema:
        out.append(schema["default"])
    return [on_loopback(value) for value in out]


def holder_examples(holder: dict | None) -> list:
    """Example values of a parameter or media type object: `example`, then the `value` of each
    named entry of `examples` (OpenAPI's map of Example objects)."""
    if not isinstance(holder, dict):
        return []
    out = []
    if "example" in holder:
        out.append(holder["example"])
    examples = holder.get("examples")
    if isinstance(examples, dict):
        out.extend(e["value"] for e in examples.values() if isinstance(e, dict) and "value" in e)
    elif isinstance(examples, list):
        out.extend(examples)
    return [on_loopback(value) for value in out]


_URL = re.compile(r"(?i)^(https?|wss?|ftp)://([^/?#]*)(.*)$", re.S)
_LOOPBACK_HOSTS = ("127.", "localhost", "[::1]")


def on_loopback(value: object) -> object:
    """`value` with every URL in it that leads off the machine moved to LOOPBACK_URL (its
    path kept): a document's example "https://example.com/feed.xml" sent to a route that
    fetches it would make the app send load to the internet."""
    if isinstance(value, str):
        match = _URL.match(value)
        if not match:
            return value
        host = match.group(2).rsplit("@", 1)[-1].lower()
        if host.startswith(_LOOPBACK_HOSTS):
            return value
        return LOOPBACK_URL + match.group(3).lstrip("/")
    if isinstance(value, dict):
        return {key: on_loopback(sub) for key, sub in value.items()}
    if isinstance(value, list):
        return [on_loopback(sub) for sub in value]
    return value
