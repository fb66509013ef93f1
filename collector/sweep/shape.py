"""The shape of a sweep, known before its first attack (collect and --dry-run alike): how many
attacks and seconds of load it plans, the background mix beside each attack, and the plan in
words."""

from __future__ import annotations

from perf.base.errors import PerfError
from perf.base.text import plural
from perf.collector.load.background import BackgroundAttack, plan_mix
from perf.collector.requests.discovery import Endpoint
from perf.collector.requests.payload import growable_field
from perf.collector.server import target as targeting
from perf.collector.server.server import Server
from perf.collector.settings.background import Background, format_background, from_large_body
from perf.collector.settings.settings import Settings


def resolve_mixes(settings: Settings, target: targeting.Target, server: Server,
                   endpoints: list[Endpoint]) -> dict[str, list[BackgroundAttack]]:
    """Every foreground endpoint's background mix, resolved before the first attack (and by
    --dry-run): a bad --background or --large-body fails now."""
    if settings.large_body:
        flat = [e.name for e in endpoints if growable_field(e.body_example) is None]
        if flat:
            raise PerfError(
                f"--large-body grows an endpoint's example body, which needs an object or "
                f"array field; {', '.join(flat)} ha{'s' if len(flat) == 1 else 've'} none "
                f"(pick endpoints with --filter, e.g. --filter /api/payload)")
    loads_beside = background_loads(settings)
    named = targeting.background_endpoints(
        settings, target, server, [l.endpoint for l in loads_beside if l.endpoint])
    known = endpoints + [e for e in named if e.name not in {x.name for x in endpoints}]
    return {e.name: plan_mix(loads_beside, e, known) for e in endpoints}


def planned_attacks(settings: Settings, endpoints: int, worker_counts: int
                    ) -> tuple[int, int, float]:
    """What a sweep will run: (its attacks, as the progress counts them; the background
    attacks that run beside them; its seconds of load). Every cell runs alone (after its
    warm-up), then, with a background mix, again inside it (no warm-up), which stores one
    background attack per load of the mix beside it. A capacity search counts its most."""
    cells = endpoints * worker_counts * settings.repeat
    alone_s = settings.duration_s + settings.warmup_s
    if settings.find_capacity:
        return cells * settings.max_attacks, 0, cells * settings.max_attacks * alone_s
    alone = cells * len(settings.loads)
    mix = background_loads(settings)
    mixed = alone if mix else 0
    return alone + mixed, mixed * len(mix), alone * alone_s + mixed * settings.duration_s


def load_seconds(settings: Settings, endpoints: int, worker_counts: int) -> float:
    return planned_attacks(settings, endpoints, worker_counts)[2]


def background_loads(settings: Settings) -> list[Background]:
    """The mix beside every attack: --background loads, and --large-body's."""
    loads = list(settings.background)
    if settings.large_body:
        loads.append(from_large_body(settings.large_body, settings.large_rate))
    return loads


def plan_words(settings: Settings, endpoints: list[Endpoint], worker_counts: list) -> str:
    """'3 operations x 2 rates x 2 worker counts x 3 repeats' (what the sweep will do)."""
    counts = "" if settings.url else f" x {plural(len(worker_counts), 'worker count')}"
    rounds = f" x {settings.repeat} repeats" if settings.repeat > 1 else ""
    ops = plural(len(endpoints), "operation")
    if settings.find_capacity:
        return (f"capacity of {ops}{counts}{rounds} under {settings.slo} (up to "
                f"{plural(settings.max_attacks, 'attack')} each, from {settings.start_rate:g}/s)")
    load_word = "rate" if settings.mode == "rate" else "concurrency level"
    mix = background_loads(settings)
    beside = (f", each again beside {'; '.join(format_background(load) for load in mix)}" if mix else "")
    return f"{ops} x {plural(len(settings.loads), load_word)}{counts}{rounds}{beside}"
