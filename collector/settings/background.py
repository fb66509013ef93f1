"""Background loads as the user writes them (--background "POST /x size=25MB rate=1",
--large-body) and the presets that set them (--scenario): parsed with the other settings.
Resolving them against the app's endpoints and running them is collector/load/background.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

from perf.base.errors import PerfError
from perf.collector.settings.settings import parse_numbers, parse_size, size_text


_METHOD = re.compile(r"^[A-Za-z]+$")


_KEYS = ("rate", "size")


@dataclass(frozen=True)
class Background:
    """One background load as written; `endpoint` None means the foreground's own."""

    endpoint: str | None  # "POST /api/payload/pong", or "/path" when the method is implied
    rate: float = 1.0
    size: int | None = None  # bytes; None: the endpoint's own request body


def parse_background(text: str) -> Background:
    """'POST /api/payload/pong size=25MB rate=1' -> Background; one-line PerfError otherwise."""
    bad = f"bad --background {text!r}"
    words = str(text).split()
    if not words:
        raise PerfError(f"{bad}: expected [METHOD /path] [rate=R] [size=SIZE], "
                        f"e.g. \"POST /api/payload/pong size=25MB rate=1\"")
    endpoint_words = []
    while words and "=" not in words[0]:
        endpoint_words.append(words.pop(0))
    endpoint = _endpoint(endpoint_words, bad)
    options: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or key not in _KEYS:
            raise PerfError(f"{bad}: {word!r} is not one of rate=R, size=SIZE (and the endpoint "
                            f"comes first)")
        if key in options:
            raise PerfError(f"{bad}: {key}= is given twice")
        options[key] = value
    rate = parse_numbers([options.get("rate", "1")], "--background rate")[0]
    size = parse_size(options["size"], "--background size") if "size" in options else None
    return Background(endpoint, rate, size)


def _endpoint(words: list[str], bad: str) -> str | None:
    if not words:
        return None
    if len(words) == 1 and words[0].startswith("/"):
        return words[0]
    if len(words) == 2 and _METHOD.match(words[0]) and words[1].startswith("/"):
        return f"{words[0].upper()} {words[1]}"
    raise PerfError(f"{bad}: {' '.join(words)!r} is not an endpoint; write METHOD /path, "
                    f"e.g. POST /api/payload/pong")


def from_large_body(size: int, rate: float) -> Background:
    """`--large-body SIZE --large-rate R`: SIZE bodies to the foreground's own endpoint."""
    return Background(None, rate, size)


def format_background(load: Background) -> str:
    """The spec back in --background syntax (for the run's config)."""
    parts = [load.endpoint] if load.endpoint else []
    parts.append(f"rate={load.rate:g}")
    if load.size is not None:
        parts.append(f"size={size_text(load.size)}")
    return " ".join(parts)


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    settings: dict  # option name -> raw value, as [tool.perf] or the command line give them
    quick: dict  # what --quick changes on top


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario(
        name="payload-interference",
        summary=("small /ping (pydantic) and /pong (raw body) requests alone, then while 25 MB "
                 "bodies go to the same endpoint once a second; 1 vs 4 workers. On one worker "
                 "the small requests queue behind each large parse (p95 in the hundreds of ms); "
                 "with several, other workers answer them."),
        settings={
            "endpoint": ["POST /api/payload/ping", "POST /api/payload/pong"],
            "background": ["size=25MB rate=1"],
            "rates": [5.0, 20.0],
            "workers": [1, 4],
            # gunicorn with uvicorn workers, as the reference study ran it; uvicorn --workers
            # would add its kept-alive stall to every small request on 4 workers.
            "server": "gunicorn",
            "duration": 10.0,
            "timeout": 30.0,  # a 25 MB body through pydantic takes seconds on a busy worker
        },
        # ~75 s on 2 cores: 8 attacks of 4 s, two server starts, 25 MB bodies beside half
        quick={"rates": [10.0], "duration": 4.0, "warmup": 0.0},
    ),
]}


def scenario_settings(name: str, quick: bool = False) -> dict:
    """The option values of a preset (its quick variant with quick=True)."""
    try:
        scenario = SCENARIOS[name]
    except KeyError:
        raise PerfError(f"unknown --scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
    return {**scenario.settings, **(scenario.quick if quick else {})}
