"""The end of a sweep: one line for each operation that failed every request it sent, with the
likely fix (perf.store.failures), so a user learns at once that a route wants a token or an id."""

from __future__ import annotations

import json
from pathlib import Path

from perf.store.failures import FailureContext, likely_fix
from perf.store.database import store_session

GROUP_AFTER = 5  # more failing operations than this are told by cause, not one by one


def failed_operations(con, run_id: str) -> list[tuple[str, str, int, bytes | None, str | None]]:
    """(endpoint, path, most common failing code, its sample body, its error) of each endpoint
    of the run whose attacks had no success at all."""
    return con.execute(
        """
        WITH dead AS (
            SELECT a.endpoint, any_value(a.path) AS path, list(a.attack_id) AS ids
            FROM attacks a JOIN attack_stats st USING (attack_id)
            WHERE a.run_id = ? AND coalesce(a.role, '') <> 'background'
            GROUP BY a.endpoint HAVING sum(st.successes) = 0
        ),
        codes AS (
            SELECT d.endpoint, r.code, count(*) AS n, any_value(r.error) AS error
            FROM dead d JOIN requests r ON list_contains(d.ids, r.attack_id)
            GROUP BY ALL
        ),
        top AS (SELECT * FROM codes QUALIFY row_number() OVER (PARTITION BY endpoint ORDER BY n DESC) = 1)
        SELECT d.endpoint, d.path, t.code,
               (SELECT e.body FROM error_samples e
                WHERE list_contains(d.ids, e.attack_id) AND e.code = t.code LIMIT 1),
               t.error
        FROM dead d JOIN top t USING (endpoint)
        ORDER BY d.endpoint
        """,
        [run_id],
    ).fetchall()


def report_failures(store: Path, run_id: str, progress, server_log: Path | None) -> None:
    with store_session(store) as con:
        failed = failed_operations(con, run_id)
        (config,) = con.execute("SELECT config FROM runs WHERE run_id = ?", [run_id]).fetchone()
    context = FailureContext.of_run(json.loads(config) if isinstance(config, str) else config)
    lines = []
    for endpoint, path, code, body, error in failed:
        log = f" ({server_log})" if server_log and code >= 500 else ""
        lines.append((endpoint, f"{likely_fix(int(code), body, error, path, context=context)}{log}"))
    if len(lines) <= GROUP_AFTER:
        for endpoint, fix in lines:
            progress.message(f"every request failed: {endpoint}: {fix}")
        return
    # A big app can fail hundreds of operations the same way: one line per cause, not per route.
    by_fix: dict[str, list[str]] = {}
    for endpoint, fix in lines:
        by_fix.setdefault(fix, []).append(endpoint)
    progress.message(f"every request failed on {len(lines)} operations (`perf report` lists each):")
    for fix, endpoints in sorted(by_fix.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(endpoints[:3]) + (f" and {len(endpoints) - 3} more" if len(endpoints) > 3 else "")
        progress.message(f"  {len(endpoints)} x {fix}: {shown}")
