"""Where load may go: this machine only (perf's first safety rule)."""

from __future__ import annotations

import ipaddress
import urllib.parse

from perf.base.errors import PerfError


def require_loopback(url: str, option: str = "--url") -> None:
    """perf samples the server's processes and waits for them to go idle, so the server runs on
    this machine; and load never leaves it (a typo must not turn into a load test of a host)."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise PerfError(f"{option} {url}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PerfError(f"{option} {url}: expected http://HOST:PORT, e.g. http://127.0.0.1:8000")
    host = parts.hostname
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise PerfError(f"{option} {url}: perf only sends load to this machine's loopback address "
                        f"(127.0.0.1, localhost or [::1]), not to {host}")
