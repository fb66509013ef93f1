"""The sweep's settings: parsing, defaults, the --quick preset, [tool.perf] in pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from perf.errors import PerfError

_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)?\s*$")  # a number and its unit
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_UNIT_BYTES = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, None: 1}  # looked up in lower case

DEFAULT_APP = "target_app.main:app"
SERVERS = ("uvicorn", "gunicorn")


@dataclass
class Settings:
    app: str | None = DEFAULT_APP
    url: str | None = None
    pid: int | None = None
    filters: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    rates: list[float] = field(default_factory=lambda: [25.0, 50.0, 100.0])
    concurrency: list[int] = field(default_factory=list)
    duration_s: float = 10.0
    workers: list[int] = field(default_factory=lambda: [1, 2])
    server: str = "uvicorn"
    timeout_s: float = 10.0
    warmup_s: float = 1.0
    label: str | None = None
    setup: bool = True
    idle_wait_s: float = 10.0
    ids: int = 2000  # path ids cycle over 1..ids when the schema gives no range
    large_body: int | None = None  # bytes; the payload scenario's large requests, when set
    large_rate: float = 1.0  # large requests per second beside each attack
    repeat: int = 1  # each cell N times, in N interleaved rounds (noise for perf compare)

    @property
    def mode(self) -> str:
        return "concurrency" if self.concurrency else "rate"

    @property
    def loads(self) -> list[float] | list[int]:
        return self.concurrency or self.rates

    def to_config(self) -> dict:
        return asdict(self)


# --quick: about a minute on 2 cores, and still every shape of the report (two rates,
# the sync/async/blocking trio, the fan-out pair, a DB read and the CRUD list).
QUICK = {
    "filters": ["/api/simple", "/api/fanout/async_concurrent", "/api/fanout/sync_baseline",
                "/api/db/async/read", "/items"],
    "rates": [20.0, 40.0],
    "duration_s": 2.0,
    "workers": [1],
    "warmup_s": 0.0,
    "timeout_s": 5.0,
}


def _quantity(text: str | float, option: str, units: dict, hint: str, allow_zero: bool = False,
              fold_case: bool = False) -> float:
    """A number times its unit's factor (a bare number counts in the unit keyed None)."""
    match = _QUANTITY.match(str(text))
    unit = match and match.group(2)
    if unit and fold_case:
        unit = unit.lower()
    if not match or unit not in units:
        raise PerfError(f"bad {option} {text!r}: {hint}")
    value = float(match.group(1)) * units[unit]
    if value < 0 or (value == 0 and not allow_zero):
        raise PerfError(f"bad {option} {text!r}: must be greater than zero")
    return value


def parse_duration(text: str | float, option: str = "--duration", allow_zero: bool = False) -> float:
    """'10s', '500ms', '1m', or a bare number of seconds (as [tool.perf] may give it)."""
    return _quantity(text, option, _UNIT_S, "use a number with a unit, e.g. 10s, 500ms, 1m",
                     allow_zero)


def parse_size(text: str | int, option: str = "--large-body") -> int:
    """'25MB' (10^6), '512KiB' (2^10), or a bare number of bytes; units in any case."""
    size = int(_quantity(text, option, _UNIT_BYTES, "use a size like 25MB, 512KB or 1MiB",
                         fold_case=True))
    if size <= 0:  # under one byte, e.g. 0.1B
        raise PerfError(f"bad {option} {text!r}: must be greater than zero")
    return size


def parse_numbers(values: list[str], option: str, kind=float) -> list:
    out = []
    for value in values:
        text = str(value).strip().removesuffix("/s")
        try:
            number = kind(text)
        except ValueError:
            raise PerfError(f"bad {option} value {value!r}: expected a positive number") from None
        if number <= 0:
            raise PerfError(f"bad {option} value {value!r}: must be greater than zero")
        out.append(number)
    return out


def pyproject_settings(start: Path | None = None) -> dict:
    """[tool.perf] of the nearest pyproject.toml, keys named like the CLI options."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text())
            except tomllib.TOMLDecodeError as exc:
                raise PerfError(f"{candidate}: invalid TOML ({exc})") from exc
            return data.get("tool", {}).get("perf", {})
    return {}
