"""What the user says about requests (--methods, --filter, --endpoint, --param, --header):
the options parsed and the operations they select (their secrets: collector/settings/secrets.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from perf.collector.settings.request_options import METHODS_DEFAULT


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
