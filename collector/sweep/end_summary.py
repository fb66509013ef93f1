"""The end of a sweep, beside the operations that failed every request (failed_operations.py):
the cells where part of the requests failed, and those the server could not sustain (the rule
of perf.store.stats: success and achieved rate at least 99%), so neither hides behind "see
`perf report`"."""

from __future__ import annotations

from perf.base.text import load_label, plural
from perf.store.metrics import metric_sql
from perf.store.stats import PARTLY_FAILED, UNSUSTAINED, attack_problem

SHOWN = 4  # cells named per kind; the rest are counted

_CELLS_SQL = f"""
SELECT a.endpoint, a.workers, a.mode, a.target_rate, a.concurrency,
       {metric_sql('success_ratio', 'st')} AS success, {metric_sql('achieved_rps', 'st')} AS achieved,
       {metric_sql('latency_p50_ms', 'st')} AS latency_p50_ms, {metric_sql('duration_s', 'st')} AS duration_s,
       a.generator_ok
FROM attacks a JOIN attack_stats st USING (attack_id)
WHERE a.run_id = ? AND coalesce(a.role, '') <> 'background'
ORDER BY a.attack_id
"""


def end_lines(con, run_id: str) -> list[str]:
    """A few lines: partly failing cells, cells not sustained (open loop only: a closed
    loop's rate is what the server gives), then attacks whose generator check failed."""
    partly, unsustained, untrusted = [], [], []
    for endpoint, workers, mode, rate, concurrency, success, achieved, p50, duration, generator_ok in (
            con.execute(_CELLS_SQL, [run_id]).fetchall()):
        where = (f"{endpoint} @ {load_label(mode, rate if mode == 'rate' else concurrency)}, "
                 f"{plural(workers or 1, 'worker')}")
        problem = attack_problem({"success_ratio": success, "achieved_rps": achieved, "mode": mode,
                                  "target_rate": rate, "duration_s": duration,
                                  "latency_p50_ms": p50, "generator_ok": generator_ok})
        if generator_ok is False:
            untrusted.append(where)
        if problem == PARTLY_FAILED:
            partly.append(f"{where}: {1 - success:.0%} failed")
        elif problem == UNSUSTAINED:
            unsustained.append(f"{where}: {achieved:.1f} of {rate:g} req/s")
    out = []
    for title, cells in (("part of the requests failed", partly),
                         ("the server could not sustain the load", unsustained),
                         ("the load generator fell short, so vegeta set these numbers as much "
                          "as the server did", untrusted)):
        if cells:
            more = f" and {len(cells) - SHOWN} more" if len(cells) > SHOWN else ""
            out.append(f"{title} ({plural(len(cells), 'cell')}): " + "; ".join(cells[:SHOWN]) + more)
    return out
