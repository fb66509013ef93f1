"""`perf collect --dry-run`: start the app once, read what it offers, and say what a sweep
would do (the Plan), with no attack and no run."""

from __future__ import annotations

from dataclasses import dataclass, field

from perf.collector.load.background import BackgroundAttack
from perf.collector.load.vegeta import find_vegeta
from perf.collector.server import processes, target as targeting
from perf.collector.settings.background import Background, format_background
from perf.collector.settings.settings import Settings
from perf.collector.sweep.learn_ids import learn_ids
from perf.collector.sweep.login_session import LoginSession
from perf.collector.sweep.quick_budget import fit_quick
from perf.collector.sweep.shape import background_loads, load_seconds, planned_attacks, resolve_mixes
from perf.store.database import resolve_store


@dataclass
class Plan:
    """What a sweep would do (--dry-run): the operations and their first request, what is
    skipped and why, and the sweep's shape."""

    target: str
    openapi_path: str | None
    ready_path: str
    operations: list[dict]
    setup: list[str]
    skipped: list[dict]
    loads: list
    mode: str
    workers: list[int | None]
    repeat: int
    duration_s: float
    warmup_s: float
    settings: dict
    background: list[dict]  # each load beside every attack (see _plan_background)
    attacks: int  # as the sweep's progress counts them (planned_attacks)
    background_attacks: int  # stored beside them, one per background load
    planned_load_s: float
    login: str | None = None  # who perf logs in as, where, and how the token is sent
    quick: str | None = None  # how --quick kept to its budget on this app, if it had to
    # ids that exist, learned from list routes (a sweep may also create one; see learn_ids)
    values: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def dry_run(settings: Settings, store: str | None, vegeta: str | None, progress) -> Plan:
    """Start the app (or reach --url) once, read what it offers, and stop: no attack, no run
    (only the server's log goes beside the store, as a sweep's would)."""
    find_vegeta(vegeta)  # a sweep would need it: say so now rather than later
    target = targeting.locate(settings)
    workers = [None] if settings.url else list(settings.workers)
    server = None
    try:
        server = targeting.start(settings, target, workers[0], resolve_store(store).parent / "logs")
        found = targeting.operations(settings, target, server)
        quick_note = fit_quick(settings, found, len(workers), load_seconds)
        mixes = resolve_mixes(settings, target, server, found.endpoints)
        base = targeting.base_url(server, found)
        attacks, background, planned_s = planned_attacks(settings, len(found.endpoints),
                                                         len(workers))
        login = None
        if settings.login and found.login is not None:  # a refused login shows here, not mid-sweep
            session = LoginSession(found.login, *settings.login, found.probe_path)
            session.log_in(base)
            login = session.describe()
        auth = session.headers(base, 0) if login else None
        keep = {found.login_endpoint} if found.login_endpoint else set()
        learned = (learn_ids(found, found.spec, found.wanted, base, auth, creates=False,
                             salt="dry-run", keep=keep) if found.spec is not None else [])
        return Plan(
            target=settings.url or settings.app, openapi_path=target.openapi_path,
            ready_path=target.ready_path,
            operations=[{"endpoint": e.name, **e.preview(base)} for e in found.endpoints],
            setup=[e.name for e in found.setup] if settings.setup else [],
            skipped=[{"endpoint": s.name, "reason": s.reason} for s in found.skipped],
            loads=list(settings.loads), mode=settings.mode, workers=workers,
            repeat=settings.repeat, duration_s=settings.duration_s, warmup_s=settings.warmup_s,
            settings=settings.to_config(),
            background=_plan_background(background_loads(settings), mixes),
            attacks=attacks, background_attacks=background, planned_load_s=planned_s,
            login=login, quick=quick_note,
            values=[{"param": got.name, "value": got.value, "from": got.source} for got in learned],
        )
    finally:
        progress.close()
        if server is not None:
            server.stop()
        processes.stop_all()


def _plan_background(loads: list[Background], mixes: dict[str, list[BackgroundAttack]]
                     ) -> list[dict]:
    """Each background load as the plan shows it: as written, and the endpoint it goes to
    (None: each attacked operation itself), its rate and body size."""
    planned = []
    for n, load in enumerate(loads):
        resolved = {mix[n].endpoint.name for mix in mixes.values()}
        planned.append({
            "load": format_background(load),
            "endpoint": resolved.pop() if load.endpoint and len(resolved) == 1 else None,
            "rate": load.rate, "size_bytes": load.size,
        })
    return planned
