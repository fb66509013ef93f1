"""What went wrong in a report, worst first: the lines the dashboard's summary leads with.

An endpoint whose requests all failed, cells where part of them failed or the server did not
keep up (perf.store.stats.attack_problem, the rule the end of `perf collect` uses too), and the
comparison's regressions. Each problem names its cell, so the page can point its selectors at
it. Pure: the report's rows in, problems out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from perf.reporter.compute.tables import load_of, load_text, workers_text
from perf.reporter.rows import AttackRow
from perf.store.stats import FAILED, PARTLY_FAILED, UNSUSTAINED, attack_problem, is_success, success_rule

SHOWN = 6  # problems listed; the rest are counted


@dataclass(frozen=True)
class Problem:
    kind: str  # regression | failed | partly failed | unsustained
    text: str
    section: str  # the dashboard section that shows it
    # The cell, as the dashboard's selectors spell it: run, endpoint, workers, load.
    cell: dict[str, str] = field(default_factory=dict)


def cell_of(attack: AttackRow) -> dict[str, str]:
    load = load_of(attack)
    return {"run": attack.run_id, "endpoint": attack.endpoint, "workers": str(attack.workers),
            "load": "" if load is None else f"{load:g}"}


def _main_code(attacks: list[AttackRow], statuses: dict, rule: str | None) -> str:
    counts: dict[int, int] = defaultdict(int)
    for a in attacks:
        for code, n in (statuses.get(a.attack_id) or {}).items():
            if not is_success(code, rule):
                counts[code] += n
    if not counts:
        return ""
    code = max(counts, key=counts.get)
    return " (no response)" if code == 0 else f" (mostly HTTP {code})" if len(counts) > 1 else f" (HTTP {code})"


def attack_problems(report, names: dict[str, str], run_ids: list[str]) -> list[Problem]:
    """Failing and unsustained cells of the runs shown (not a baseline's), worst first."""
    multi = len(run_ids) > 1
    rules = {r.run_id: success_rule(r.config) for r in report.runs}
    by_kind: dict[str, list[tuple[float, AttackRow]]] = defaultdict(list)
    for a in report.attacks:
        if a.run_id not in run_ids or a.role == "background":
            continue
        kind = attack_problem({**a.metrics, "mode": a.mode, "target_rate": a.target_rate,
                               "generator_ok": a.generator_ok})
        if kind:
            by_kind[kind].append((a.metric("success_ratio") or 0.0, a))
    out = []
    # An endpoint that failed every request fails the same way at every load: one line for it.
    failed: dict[tuple, list[AttackRow]] = defaultdict(list)
    for _, a in by_kind[FAILED]:
        failed[(a.run_id, a.endpoint)].append(a)
    for (run, endpoint), attacks in failed.items():
        total = [x for x in report.attacks if x.run_id == run and x.endpoint == endpoint
                 and x.role != "background"]
        where = ("its one attack" if len(total) == 1 else f"all {len(total)} attacks"
                 if len(attacks) == len(total) else ", ".join(
                     f"{load_text(a)} {workers_text(a.workers)}" for a in attacks))
        out.append(Problem(FAILED, f"{endpoint}: every request failed{_main_code(attacks, report.statuses, rules.get(run))}"
                           f" in {where}"
                           + (f", run {names[run]}" if multi else ""), "error-kinds",
                           cell_of(attacks[-1])))
    for _, a in sorted(by_kind[PARTLY_FAILED], key=lambda p: p[0]):
        out.append(Problem(PARTLY_FAILED, f"{a.endpoint} @ {load_text(a)}, {workers_text(a.workers)}: "
                           f"{1 - a.metric('success_ratio'):.0%} of the requests failed"
                           f"{_main_code([a], report.statuses, rules.get(a.run_id))}"
                           + (f", run {names[a.run_id]}" if multi else ""), "errors", cell_of(a)))
    unsustained = sorted(by_kind[UNSUSTAINED],
                         key=lambda p: (p[1].metric("achieved_rps") or 0) / p[1].target_rate)
    for _, a in unsustained:
        out.append(Problem(UNSUSTAINED, f"{a.endpoint} @ {load_text(a)}, {workers_text(a.workers)}: "
                           f"the server kept up with {a.metric('achieved_rps'):.1f} of "
                           f"{a.target_rate:g} req/s"
                           + (f", run {names[a.run_id]}" if multi else ""), "load-endpoints",
                           cell_of(a)))
    return out


def regressions(verdict_rows: list[dict]) -> list[Problem]:
    """The comparison's `worse` rows (compute.verdicts.verdict_rows), one line each."""
    out = []
    for row in verdict_rows:
        if row.get("verdict") == "worse":
            out.append(Problem("regression", f"{row['cell']}: {row['metric']} {row['base']} → "
                               f"{row['candidate']} ({row['change']})", "verdicts"))
    return out
