"""The sweep's settings, merged and validated in one place.

One table, OPTIONS, says for every setting its name (the command-line option without dashes,
and the key in [tool.perf]), the Settings field it fills, its parser and its default.
`build_settings` merges defaults < [tool.perf] < --quick < the command line, parses each
value where it came from (so a bad value is named by its option or its [tool.perf] key), then
checks the settings as a whole. Nothing starts before it returns.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from perf.collector.settings.request_options import METHODS_DEFAULT, parse_header, parse_methods, parse_param
from perf.collector.settings.secrets import looks_secret, mask, secret_values
from perf.base.errors import PerfError
from perf.base.pyproject import tool_perf
from perf.store.runref import check_label
from perf.collector.settings.success import DEFAULT_SUCCESS_RULE, parse_success, without_default_success

_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)?\s*$")  # a number and its unit
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_UNIT_BYTES = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, None: 1}  # looked up in lower case

DEFAULT_APP = "target_app.main:app"
SERVERS = ("uvicorn", "gunicorn", "uvicorn-nodelay")
MIN_DURATION_S = 0.1  # shorter attacks hold too few requests to measure anything
MIN_RATE = 0.001  # vegeta counts hits per period in whole numbers: 1/1000s is the finest here


@dataclass
class Settings:
    app: str | None = DEFAULT_APP
    factory: bool = False  # --app names a zero-argument factory that returns the app
    app_dir: str | None = None  # put on sys.path before importing --app (as uvicorn's --app-dir)
    python: str | None = None  # the interpreter that runs the app [default: perf's own]
    url: str | None = None
    pid: int | None = None
    filters: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)  # --exclude glob patterns
    include_destructive: bool = False  # attack operations that look destructive too
    methods: list[str] = field(default_factory=lambda: list(METHODS_DEFAULT))
    headers: list[tuple[str, str]] = field(default_factory=list)  # secrets: masked in to_config
    params: list[tuple[str, str]] = field(default_factory=list)
    login: tuple[str, str] | None = None  # --login USER:PASSWORD (the password is a secret)
    login_route: str | None = None  # "POST /path" where perf logs in [default: found in the document]
    targets: str | None = None  # a vegeta targets file instead of the OpenAPI document
    health_path: str | None = None  # readiness and idle checks [default: the OpenAPI document]
    openapi_url: str | None = None  # [default: the app's own openapi_url, else /openapi.json]
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
    start_timeout_s: float = 30.0  # how long a started server may take to answer HTTP
    ids: int = 2000  # path ids cycle over at most this many values of a declared range
    large_body: int | None = None  # bytes; the payload scenario's large requests, when set
    large_rate: float = 1.0  # large requests per second beside each attack
    # perf.collector.load.background.Background loads run together beside each attack (one mix);
    # --large-body adds one more (background.from_large_body)
    background: list = field(default_factory=list)
    scenario: str | None = None  # the preset these settings started from (collector/load/background.py)
    repeat: int = 1  # each cell N times, in N interleaved rounds (noise for perf compare)
    # --quick is a budget, not a grid: seconds of load it may plan on any app (None: not --quick),
    # and the options the command line set itself, which the budget leaves as they are.
    quick_budget_s: float | None = None
    given: tuple[str, ...] = ()
    # Capacity search (collector/load/capacity.py): per endpoint and worker count, the highest
    # constant rate meeting the SLO, instead of the fixed --rates.
    find_capacity: bool = False
    slo: str | None = None  # e.g. "p99<100ms,success>=99.9%" (validated by settings/slo.py)
    max_attacks: int = 8  # per search
    start_rate: float = 10.0  # the search's first rate
    max_rate: float = 10_000.0  # the highest rate it may try
    success: str = DEFAULT_SUCCESS_RULE  # --success: which status codes count as success

    @property
    def mode(self) -> str:
        return "concurrency" if self.concurrency else "rate"

    @property
    def loads(self) -> list[float] | list[int]:
        return self.concurrency or self.rates

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values perf sends that are secrets (perf.collector.settings.secrets.secret_values)."""
        login = (("password", self.login[1]),) if self.login else ()
        return secret_values(self.headers, (*self.params, *login))

    def to_config(self) -> dict:
        """Every setting, as stored with the run: secrets masked (every header value, and
        the value of a parameter whose name looks secret)."""
        config = asdict(self)
        config["headers"] = [f"{name}: {mask(value)}" for name, value in self.headers]
        config["params"] = [f"{name}={mask(value) if looks_secret(name) else value}"
                            for name, value in self.params]
        config["login"] = f"{self.login[0]}:{mask(self.login[1])}" if self.login else None
        from perf.collector.settings.background import format_background

        config["background"] = [format_background(load) for load in self.background]
        return without_default_success(config)


# ---- parsers: (raw value, what to call it in an error) -> value ---------------------------

def _quantity(text: str | float, option: str, units: dict, hint: str, allow_zero: bool = False,
              fold_case: bool = False) -> float:
    """A number times its unit's factor (a bare number counts in the unit keyed None)."""
    if isinstance(text, bool):
        raise PerfError(f"bad {option} {text!r}: {hint}")
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
    """'10s', '500ms', '1m', or a bare number of seconds (as [tool.perf] may give it); at most
    what a Go duration holds (about 292 years), as vegeta reads it. Each option's least value
    is in the settings table (_duration)."""
    seconds = _quantity(text, option, _UNIT_S, "use a number with a unit, e.g. 10s, 500ms, 1m",
                        allow_zero)
    if seconds >= 2**63 / 1e9:
        raise PerfError(f"bad {option} {text!r}: too long for vegeta (at most 2562047h)")
    return seconds


def parse_size(text: str | int, option: str = "--large-body") -> int:
    """'25MB' (10^6), '512KiB' (2^10), or a bare number of bytes; units in any case."""
    size = int(_quantity(text, option, _UNIT_BYTES, "use a size like 25MB, 512KB or 1MiB",
                         fold_case=True))
    if size <= 0:  # under one byte, e.g. 0.1B
        raise PerfError(f"bad {option} {text!r}: must be greater than zero")
    return size


def parse_numbers(values: list[str], option: str, kind=float) -> list:
    """Positive, finite numbers ('50' or '50/s'); whole numbers when kind is int."""
    out = []
    for value in values:
        text = str(value).strip().removesuffix("/s")
        try:
            number = float(text)
        except ValueError:
            raise PerfError(f"bad {option} value {value!r}: expected a positive number") from None
        if not math.isfinite(number):
            raise PerfError(f"bad {option} value {value!r}: expected a finite number")
        if number <= 0:
            raise PerfError(f"bad {option} value {value!r}: must be greater than zero")
        if kind is int:
            if not number.is_integer():
                raise PerfError(f"bad {option} value {value!r}: expected a whole number")
            number = int(number)
        out.append(number)
    return out


def _items(raw, where: str, what: str, numbers: bool = False) -> list[str]:
    """Repeated options and comma lists alike: ("1,2", "4"), [1, 2], "1,2" or (in TOML) 4."""
    kinds = (str, int, float) if numbers else (str,)
    if isinstance(raw, kinds) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not all(
            isinstance(v, kinds) and not isinstance(v, bool) for v in raw):
        raise PerfError(f"bad {where} {raw!r}: expected {what}")
    return [part.strip() for value in raw for part in str(value).split(",") if part.strip()]


def _rates(raw, where: str) -> list[float]:
    rates = parse_numbers(_items(raw, where, "rates, e.g. 25,50,100", numbers=True), where)
    if not rates:
        raise PerfError(f"bad {where} {raw!r}: expected at least one rate, e.g. 25,50,100")
    for rate in rates:
        if rate < MIN_RATE:
            raise PerfError(f"bad {where} value {rate:g}: the lowest rate vegeta can offer is "
                            f"{MIN_RATE:g}/s")
    return rates


def _rate(raw, where: str) -> float:
    if isinstance(raw, (list, tuple)):
        raise PerfError(f"bad {where} {raw!r}: expected one rate")
    return _rates(raw, where)[0]


def _whole_numbers(raw, where: str) -> list[int]:
    numbers = parse_numbers(_items(raw, where, "whole numbers, e.g. 1,2", numbers=True), where,
                            int)
    if not numbers:
        raise PerfError(f"bad {where} {raw!r}: expected at least one whole number, e.g. 1,2")
    return numbers


def _whole_number(raw, where: str) -> int:
    if isinstance(raw, (list, tuple)):
        raise PerfError(f"bad {where} {raw!r}: expected one whole number")
    return _whole_numbers(raw, where)[0]


def _text(raw, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise PerfError(f"bad {where} {raw!r}: expected text")
    return raw.strip()


def _label(raw, where: str) -> str:
    """Text that run references (`--run latest~1`) will not read as something else."""
    label = _text(raw, where)
    check_label(label, where)
    return label


def _texts(raw, where: str) -> list[str]:
    return _items(raw, where, "text or a list of texts")


def _endpoints(raw, where: str) -> list[str]:
    # "METHOD /path" names hold spaces but no commas; keep each value whole.
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
        raise PerfError(f"bad {where} {raw!r}: expected 'METHOD /path' or a list of them")
    return [v.strip() for v in raw if v.strip()]


def _methods(raw, where: str) -> list[str]:
    return list(parse_methods(",".join(_items(raw, where, "HTTP methods, e.g. GET,POST")), where))


def _headers(raw, where: str) -> list[tuple[str, str]]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise PerfError(f"bad {where}: expected 'Name: value' or a list of them")
    # [tool.perf] is committed: a token there comes from the environment, "${TOKEN}".
    return [parse_header(_expand(value, where), where) for value in values]


_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})")  # what os.path.expandvars replaces


def _expand(value: str, where: str) -> str:
    """$NAME and ${NAME} from the environment. An unset one is an error: expandvars would
    leave the text as it is, and every request would carry "${TOKEN}" for a token."""
    for found in _VARIABLE.finditer(value):
        name = found.group(1).strip("{}")
        if name not in os.environ:
            raise PerfError(f"bad {where}: {found.group(0)} names environment variable "
                            f"{name}, which is not set")
    return os.path.expandvars(value)


def _login(raw, where: str) -> tuple[str, str]:
    if not isinstance(raw, str):
        raise PerfError(f"bad {where}: expected USER:PASSWORD")
    # [tool.perf] is committed: the password there comes from the environment, "${PASSWORD}".
    user, sep, password = _expand(raw, where).partition(":")
    if not sep or not user or not password:
        raise PerfError(f"bad {where}: expected USER:PASSWORD")
    return user, password


def _login_route(raw, where: str) -> str:
    method, _, path = str(raw).strip().partition(" ")
    if method.upper() not in ("POST", "PUT") or not path.strip().startswith("/"):
        raise PerfError(f"bad {where} {raw!r}: expected 'POST /path'")
    return f"{method.upper()} {path.strip()}"


def _params(raw, where: str) -> list[tuple[str, str]]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise PerfError(f"bad {where}: expected 'name=value' or a list of them")
    return [parse_param(value, where) for value in values]


def _route(raw, where: str) -> str:
    path = _text(raw, where)
    if not path.startswith("/"):
        raise PerfError(f"bad {where} {path!r}: expected a path starting with /, e.g. /healthz")
    return path


def _app(raw, where: str) -> str:
    app = _text(raw, where)
    module, _, attr = app.partition(":")
    if not module or not attr or not all(p.isidentifier() for p in module.split(".")):
        raise PerfError(f"bad {where} {app!r}: expected MODULE:ATTRIBUTE, e.g. myservice.main:app")
    return app


def _directory(raw, where: str) -> str:
    path = _text(raw, where)
    if not Path(path).is_dir():
        raise PerfError(f"bad {where} {path!r}: no such directory")
    return path


def _file(raw, where: str) -> str:
    path = _text(raw, where)
    if not Path(path).is_file():
        raise PerfError(f"bad {where} {path!r}: no such file")
    return path


def _python(raw, where: str) -> str:
    path = _text(raw, where)
    found = shutil.which(path)
    if not found:
        raise PerfError(f"bad {where} {path!r}: not an executable interpreter")
    return found


def _url(raw, where: str) -> str:
    from perf.collector.settings.loopback import require_loopback

    url = _text(raw, where)
    require_loopback(url, where)
    return url.rstrip("/")


def _server(raw, where: str) -> str:
    server = _text(raw, where)
    if server not in SERVERS:
        raise PerfError(f"bad {where} {server!r}: use {' or '.join(SERVERS)}")
    return server


def _flag(raw, where: str) -> bool:
    if not isinstance(raw, bool):
        raise PerfError(f"bad {where} {raw!r}: expected true or false")
    return raw


def _size(raw, where: str) -> int:
    return parse_size(raw, where)


def _backgrounds(raw, where: str) -> list:
    from perf.collector.settings.background import parse_background

    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise PerfError(f"bad {where} {raw!r}: expected \"METHOD /path rate=R size=SIZE\" or a "
                        f"list of them")
    return [parse_background(value) for value in values if value.strip()]


def _scenario(raw, where: str) -> str:
    from perf.collector.settings.background import SCENARIOS

    name = _text(raw, where)
    if name not in SCENARIOS:
        raise PerfError(f"unknown {where} {name!r}; known: {', '.join(SCENARIOS)}")
    return name


def _slo(raw, where: str) -> str:
    from perf.collector.settings.slo import parse_slo

    return parse_slo(_text(raw, where)).text


def _pid(raw, where: str) -> int:
    return _whole_number(raw, where)


def _duration(minimum: float = 0.0, allow_zero: bool = False) -> Callable:
    def parse(raw, where: str) -> float:
        seconds = parse_duration(raw, where, allow_zero=allow_zero)
        if not math.isfinite(seconds) or (seconds and seconds < minimum):
            raise PerfError(f"bad {where} {raw!r}: at least {minimum:g}s")
        return seconds
    return parse


@dataclass(frozen=True)
class Option:
    name: str  # the option without its dashes (underscores for dashes): the [tool.perf] key
    field: str  # the Settings field it fills
    parse: Callable[[object, str], object]  # (raw value, its name in errors) -> value
    config: bool = True  # may [tool.perf] set it? (not a pid, not a one-off flag)


OPTIONS: list[Option] = [
    Option("app", "app", _app),
    Option("factory", "factory", _flag),
    Option("app_dir", "app_dir", _directory),
    Option("python", "python", _python),
    Option("url", "url", _url),
    Option("pid", "pid", _pid, config=False),
    Option("filter", "filters", _texts),
    Option("endpoint", "endpoints", _endpoints),
    Option("exclude", "excludes", _endpoints),
    Option("include_destructive", "include_destructive", _flag),
    Option("methods", "methods", _methods),
    Option("header", "headers", _headers),
    Option("param", "params", _params),
    Option("login", "login", _login),
    Option("login_route", "login_route", _login_route),
    Option("targets", "targets", _file),
    Option("health_path", "health_path", _route),
    Option("openapi_url", "openapi_url", _route),
    Option("rates", "rates", _rates),
    Option("concurrency", "concurrency", _whole_numbers),
    Option("duration", "duration_s", _duration(MIN_DURATION_S)),
    Option("workers", "workers", _whole_numbers),
    Option("server", "server", _server),
    Option("timeout", "timeout_s", _duration(0.001)),
    Option("warmup", "warmup_s", _duration(0.1, allow_zero=True)),
    Option("idle_wait", "idle_wait_s", _duration(allow_zero=True)),
    Option("start_timeout", "start_timeout_s", _duration(0.1)),
    Option("label", "label", _label),
    Option("setup", "setup", _flag),
    Option("large_body", "large_body", _size),
    Option("large_rate", "large_rate", _rate),
    Option("background", "background", _backgrounds),
    Option("scenario", "scenario", _scenario),
    Option("repeat", "repeat", _whole_number),
    Option("find_capacity", "find_capacity", _flag),
    Option("slo", "slo", _slo),
    Option("max_attacks", "max_attacks", _whole_number),
    Option("start_rate", "start_rate", _rate),
    Option("max_rate", "max_rate", _rate),
    Option("success", "success", parse_success),
]
_BY_NAME = {o.name: o for o in OPTIONS}

# --quick: about a minute on 2 cores, and still every shape of the report (two rates,
# the sync/async/blocking trio, the fan-out pair, a DB read and the CRUD list). Its filters
# name target_app's routes, so on another app it keeps only the timing settings.
QUICK = {
    "filter": ["/api/simple", "/api/fanout/async_concurrent", "/api/fanout/sync_baseline",
               "/api/db/async/read", "/items"],
    "rates": [20.0, 40.0],
    "duration": 2.0,
    "workers": [1],
    "warmup": 0.0,
    "timeout": 5.0,
}
QUICK_TARGET_ONLY = ("filter",)
QUICK_BUDGET_S = 60.0  # --quick's promise: about a minute of load, whatever the app


def default_of(name: str) -> object:
    """The default of an option as the Settings dataclass holds it (for --help)."""
    return getattr(Settings(), _BY_NAME[name].field)


def _parse_source(values: dict, source: str) -> dict[str, object]:
    """Parse one source's values (option name -> raw) into field -> value. `source`: config,
    quick, cli, or the name of a --scenario."""
    out = {}
    for name, raw in values.items():
        option = _BY_NAME[name]
        flag = f"--{name.replace('_', '-')}"
        where = {"config": f"[tool.perf] {name}", "quick": flag, "cli": flag}.get(
            source, f"--scenario {source} ({flag})")
        out[option.field] = option.parse(raw, where)
    if "rates" in out and "concurrency" in out:
        both = ("[tool.perf] sets both rates and concurrency" if source == "config" else
                "use either --rates (open loop) or --concurrency (closed loop), not both")
        raise PerfError(both + ("; keep one" if source == "config" else ""))
    return out


def config_values(config: dict) -> dict:
    """[tool.perf] keys (dashes or underscores) -> option names; unknown keys refused."""
    values, unknown = {}, []
    for key, raw in config.items():
        name = key.replace("-", "_")
        if name == "compare":
            continue  # [tool.perf.compare] is perf compare's (reporter/compute/thresholds.py)
        if name in _BY_NAME and _BY_NAME[name].config:
            values[name] = raw
        else:
            unknown.append(key)
    if unknown:
        known = ", ".join(o.name for o in OPTIONS if o.config)
        raise PerfError(f"[tool.perf] has unknown keys: {', '.join(sorted(unknown))} "
                        f"(known: {known})")
    return values


def build_settings(given: dict[str, object], config: dict | None = None,
                   quick: bool = False) -> Settings:
    """Defaults < [tool.perf] < --quick (or a --scenario, with --quick its quick variant) <
    `given` (the options on the command line, by name).

    A later source's rates or concurrency replaces the other mode of an earlier one.
    """
    fields: dict[str, object] = {}
    sources = [_parse_source(config_values(config or {}), "config")]
    scenario = (sources[0].get("scenario") if "scenario" not in given
                else _scenario(given["scenario"], "--scenario"))
    if scenario:
        from perf.collector.settings.background import scenario_settings

        sources.append(_parse_source(scenario_settings(scenario, quick), scenario))
    elif quick:
        quick_values = dict(QUICK)
        app = given.get("app") or (config or {}).get("app")
        if given.get("url") or given.get("targets") or (app and app != DEFAULT_APP):
            for name in QUICK_TARGET_ONLY:
                quick_values.pop(name)
        sources.append(_parse_source(quick_values, "quick"))
    sources.append(_parse_source(given, "cli"))
    for values in sources:
        if "rates" in values:
            fields.pop("concurrency", None)
        if "concurrency" in values:
            fields.pop("rates", None)
        fields.update(values)
    settings = Settings(**fields)
    if quick and not scenario:
        settings.quick_budget_s, settings.given = QUICK_BUDGET_S, tuple(sorted(given))
    if settings.concurrency:
        settings.rates = []  # closed loop: the default rates do not apply
    _check_whole(settings, given, config or {})
    return settings


def _check_whole(s: Settings, given: dict, config: dict) -> None:
    """Rules between settings; every one holds before a server starts or a run is written."""
    if s.pid is not None and not s.url:
        raise PerfError("--pid only applies with --url (perf samples the servers it starts itself)")
    if s.url and "app" in given:
        raise PerfError("use --app (perf starts the app) or --url (a server already running), "
                        "not both")
    if s.url and (s.factory or s.app_dir or s.python):
        raise PerfError("--factory, --app-dir and --python describe an app perf starts; "
                        "with --url the server is already running")
    if s.login and s.targets:
        raise PerfError("--login finds where to log in from the app's OpenAPI document; with "
                        "--targets, put the token in the file or pass --header")
    if s.login_route and not s.login:
        raise PerfError("--login-route names where --login logs in: add --login USER:PASSWORD")
    if s.large_body and s.targets:
        raise PerfError("--large-body grows an endpoint's OpenAPI example body; with --targets "
                        "there is none (put the large body in the targets file instead)")
    if s.find_capacity:
        if not s.slo:
            raise PerfError('--find-capacity needs an SLO to search under, e.g. '
                            '--slo "p99<100ms,success>=99.9%"')
        if s.concurrency:
            raise PerfError("--find-capacity searches a constant rate (open loop); drop "
                            "--concurrency")
        if s.background or s.large_body:
            raise PerfError("--find-capacity measures each endpoint alone; drop --background "
                            "and --large-body (or run them as a sweep of their own)")
        if s.start_rate > s.max_rate:
            raise PerfError(f"--start-rate {s.start_rate:g} is above --max-rate {s.max_rate:g}")
        if s.start_rate * s.duration_s < 1:
            raise PerfError(f"--start-rate {s.start_rate:g} for {s.duration_s:g}s would send no "
                            f"request: rate x duration must be at least 1")
        return
    if s.slo:
        raise PerfError("--slo is the target of a capacity search: add --find-capacity")
    if s.mode == "rate":
        for rate in s.rates:
            if rate * s.duration_s < 1:
                raise PerfError(f"--rates {rate:g} for {s.duration_s:g}s would send no request: "
                                f"rate x duration must be at least 1")


def require_target(given: dict[str, object], config: dict) -> None:
    """perf attacks the app it is told about (--app, --url, or app/url in [tool.perf]). The
    bundled demo app belongs to `make demo` and to `--app target_app.main:app`, never to a
    folder that names no app: a user there meant their own."""
    named = {**config_values(config or {}), **given}
    if not named.get("app") and not named.get("url"):
        raise PerfError("which app? pass --app MODULE:ATTR (your FastAPI app as uvicorn names it, "
                        "e.g. --app myservice.main:app), --url of a server already running, or set "
                        f"app in [tool.perf] of pyproject.toml (perf's demo app: --app {DEFAULT_APP})")


def pyproject_settings(start: Path | None = None) -> dict:
    """[tool.perf] of the nearest pyproject.toml, keys named like the CLI options."""
    return tool_perf(start)[0]


def size_text(size: int) -> str:
    """The size as people write it: 25MB, 512KB, 1.5MB, 300B."""
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            return f"{size / factor:.4g}{unit}"
    return f"{size}B"
