"""`perf doctor`: what perf will use, and what is missing."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from perf.collector.storage.environment import machine_info
from perf.collector.load.vegeta import find_vegeta, install_lines, vegeta_problem, vegeta_version
from perf import __version__
from perf.base.errors import PerfError
from perf.store.database import resolve_store, spooled_attacks, store_state


@dataclass
class Check:
    name: str
    value: str
    ok: bool = True
    problem: str = "MISSING"  # the word shown when not ok
    how: tuple[str, ...] = ()  # what to run to fix it, a line each


def run_checks(store: str | None, vegeta: str | None) -> list[Check]:
    info = machine_info()
    checks = [
        Check("perf", __version__),
        Check("python", f"{info['python_version']} ({info['python']})"),
        Check("cpu", f"{info['cpu_model']} x {info['cpu_count']}"),
        Check("os", info["os"]),
    ]
    try:
        binary = find_vegeta(vegeta)
    except PerfError as exc:
        checks.append(Check("vegeta", str(exc), ok=False, how=tuple(install_lines())))
    else:
        problem = vegeta_problem(binary)
        checks.append(Check("vegeta", f"{binary}: {problem}", ok=False, problem="UNUSABLE")
                      if problem else Check("vegeta", f"{vegeta_version(binary)} ({binary})"))
    for module in ("duckdb", "fastapi", "uvicorn", "gunicorn", "psutil", "plotly"):
        try:
            mod = importlib.import_module(module)
            checks.append(Check(module, getattr(mod, "__version__", "installed")))
        except ImportError as exc:
            checks.append(Check(module, f"missing ({exc}); reinstall perf", ok=False))
    from perf.reporter.render.plotly_bundle import current_bundle  # reads plotly.js: only when asked

    checks.append(Check("charts", current_bundle().describe()))
    path = resolve_store(store)
    state = store_state(path)
    checks.append(Check("store", f"{path} ({state.text})", ok=state.usable and not state.damage,
                        problem="DAMAGED" if state.damage else "UNUSABLE"))
    waiting = spooled_attacks(path)
    if waiting:
        checks.append(Check("spooled", f"{waiting} attack(s) beside the store wait to be stored; "
                                       "`perf ingest --spooled` stores them"))
    return checks

