"""Background load: other attacks running beside each foreground attack, and the presets
(`--scenario`) built on them.

The question it answers is DESIGN's payload one, generalised: what does load on one endpoint do
to the latency of another (or of the same one)? Each background load is its own vegeta attack at
its own constant rate, against any endpoint, with its own body size.

Syntax (`--background`, repeatable; also `background = [...]` in [tool.perf]):

    --background "POST /api/payload/pong size=25MB rate=1"
    --background "size=25MB rate=1"       # no endpoint: the foreground attack's own
    --background "GET /api/simple/async_blocking/{item_id} rate=5"
    --background "/items rate=20"         # a path alone, when one method serves it

- `rate=R`: requests per second of this load (default 1), open loop whatever the foreground's
  mode; `size=SIZE` (25MB, 512KB, 1MiB): the endpoint's example body grown to SIZE
  (collector/requests/payload.py); without it, the endpoint's own requests.
- Several `--background` loads run together, all beside each foreground attack: one mix.
- Every foreground cell runs alone first, then inside the mix, so each mix has its baseline.
- Today's `--large-body 25MB --large-rate 1` is `--background "size=25MB rate=1"`
  (from_large_body), which makes it one case of this.

Storage (attacks, schema v3): the alone attack has role NULL. Inside a mix, the foreground attack
has role 'foreground' and every background attack role 'background' with foreground_id = the
foreground's attack_id; both sides carry `background` = the mix's label (mix_label: each load as
"POST /api/payload/pong 25MB @ 1/s", joined by "; "). Each side's endpoint column names what it
was, so every report, history and compare keeps the three apart (foreground_name,
background_name):

    POST /api/payload/pong                              alone
    POST /api/payload/pong (beside 25MB @ 1/s)          the small requests inside the mix
    POST /api/payload/pong (25MB bodies, beside 20/s)   the large ones, beside the 20/s attack
    GET /x (beside POST /api/payload/ping @ 20/s)       a load on another endpoint

compare matches a mix by (endpoint, role, background) across runs.

Presets (`--scenario NAME`) are option values by option name, the raw form of plan.QUICK (so
plan.build_settings parses them like any source), between [tool.perf] and explicit options:
defaults < [tool.perf] < the scenario (with --quick, its own quick variant instead of QUICK)
< options given on the command line.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import psutil

from perf.collector.requests.discovery import Endpoint
from perf.collector.requests.payload import growable_field
from perf.collector.settings.settings import size_text
from perf.collector.settings.background import Background
from perf.base.errors import PerfError


# What large bodies may take of this machine. Each load's vegeta reads its body file whole
# into memory, and the server under test holds at least one copy of each body it reads: half
# the available memory for perf's copies leaves the other half to the server. The body files
# share their disk with the attacks' results and the spool.
BODY_MEMORY_SHARE = 0.5
BODY_DISK_SHARE = 0.9


def check_body_room(loads: list[Background], scratch: Path) -> None:
    """Large bodies (--background size=, --large-body) fit this machine, or a one-line
    PerfError naming the size, what is available and the limit; called before any server
    starts. Each body file is written to `scratch` (one per endpoint and size of a mix; the
    sweep keeps one mix's at a time)."""
    sizes = [load.size for load in loads if load.size is not None]
    if sizes:
        files = sum({(load.endpoint, load.size): load.size for load in loads
                     if load.size is not None}.values())
        problem = body_room_problem(sizes, files, psutil.virtual_memory().available,
                                    shutil.disk_usage(scratch).free, scratch)
        if problem:
            raise PerfError(problem)


def body_room_problem(sizes: list[int], files: int, memory_available: int, disk_free: int,
                      scratch: Path) -> str | None:
    """Why bodies of `sizes` (`files` bytes of body files) do not fit, or None when they do."""
    what = (f"a {size_text(sizes[0])} request body is" if len(sizes) == 1 else
            f"request bodies of {' and '.join(size_text(s) for s in sizes)} "
            f"({size_text(sum(sizes))} together) are")
    memory_limit = int(memory_available * BODY_MEMORY_SHARE)
    if sum(sizes) > memory_limit:
        return (f"{what} too large for this machine: vegeta holds each body in memory, "
                f"{size_text(memory_available)} is available and large bodies may take at most "
                f"half of it ({size_text(memory_limit)}); use a smaller size= or --large-body")
    disk_limit = int(disk_free * BODY_DISK_SHARE)
    if files > disk_limit:
        return (f"{what} too large for this machine: body files go to {scratch}, where "
                f"{size_text(disk_free)} is free and they may take at most "
                f"{BODY_DISK_SHARE:.0%} of it ({size_text(disk_limit)}); use a smaller size= or "
                f"--large-body, or point TMPDIR at a larger disk")
    return None


@dataclass(frozen=True)
class BackgroundAttack:
    """A load resolved against the app's endpoints, beside one foreground endpoint."""

    endpoint: Endpoint
    rate: float
    size: int | None

    @property
    def label(self) -> str:
        size = f" {size_text(self.size)}" if self.size is not None else ""
        return f"{self.endpoint.name}{size} @ {self.rate:g}/s"


def resolve(load: Background, foreground: Endpoint, endpoints: list[Endpoint]) -> BackgroundAttack:
    """The endpoint a load goes to, checked: it exists, and a body can be grown for `size`."""
    target = foreground if load.endpoint is None else _find(load.endpoint, endpoints)
    if load.size is not None and growable_field(target.body_example) is None:
        raise PerfError(
            f"--background size= grows an endpoint's example body, which needs an object or "
            f"array field; {target.name} has none")
    return BackgroundAttack(target, load.rate, load.size)


def _find(spec: str, endpoints: list[Endpoint]) -> Endpoint:
    if spec.startswith("/"):
        found = [e for e in endpoints if e.path == spec]
        if len(found) > 1:
            raise PerfError(f"--background {spec}: {len(found)} methods serve it "
                            f"({', '.join(e.method for e in found)}); write METHOD {spec}")
    else:
        found = [e for e in endpoints if e.name == spec]
    if not found:
        known = ", ".join(e.name for e in endpoints) or "none"
        raise PerfError(f"--background {spec}: the app has no such endpoint; it has: {known}")
    return found[0]


def plan_mix(loads: list[Background], foreground: Endpoint,
             endpoints: list[Endpoint]) -> list[BackgroundAttack]:
    """Every load of the mix beside `foreground`, resolved (call before the first attack, for
    every foreground endpoint, so a bad spec fails before anything runs)."""
    return [resolve(load, foreground, endpoints) for load in loads]


def mix_label(mix: list[BackgroundAttack]) -> str:
    """attacks.background of both sides: 'POST /api/payload/pong 25MB @ 1/s; GET /x @ 5/s'."""
    return "; ".join(attack.label for attack in mix)


def _seen_from(load: BackgroundAttack, foreground: Endpoint) -> str:
    """A load as the foreground's name shows it: its own endpoint's left out ("25MB @ 1/s")."""
    size = size_text(load.size) if load.size is not None else None
    if load.endpoint.name == foreground.name:
        return f"{size or 'itself'} @ {load.rate:g}/s"
    return f"{load.endpoint.name}{' ' + size if size else ''} @ {load.rate:g}/s"


def foreground_name(foreground: Endpoint, mix: list[BackgroundAttack]) -> str:
    """The endpoint column of a mix's foreground: 'POST /x (beside 25MB @ 1/s)'."""
    return f"{foreground.name} (beside {'; '.join(_seen_from(l, foreground) for l in mix)})"


def background_name(load: BackgroundAttack, foreground: Endpoint, load_text: str) -> str:
    """The endpoint column of one background attack, beside the foreground at `load_text`
    ('20/s', 'c=5'): 'POST /x (25MB bodies, beside 20/s)', 'GET /y (beside POST /x @ 20/s)'.
    The foreground's load is part of it: the background attacks beside 20/s and beside 50/s
    run at the same rate, and are not repeats of one another."""
    bodies = f"{size_text(load.size)} bodies, " if load.size is not None else ""
    beside = (load_text if load.endpoint.name == foreground.name
              else f"{foreground.name} @ {load_text}")
    return f"{load.endpoint.name} ({bodies}beside {beside})"
