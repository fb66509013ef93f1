"""The end of a sweep: one line for each operation that failed every request it sent, with the
likely fix (perf.store.failures), so a user learns at once that a route wants a token or an id."""

from __future__ import annotations

import json
from pathlib import Path

from perf.base.text import plural
from perf.collector.sweep.end_summary import end_lines
from perf.store.failures import FailureContext, detail_text, likely_fix
from perf.store.redirects import REDIRECT_COUNT_SQL, redirect_note
from perf.store.database import store_session

GROUP_AFTER = 5  # more failing operations than this are told by cause, not one by one
SHOWN = 3  # operations named on a cause's line


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
        summary = end_lines(con, run_id)
        (config,) = con.execute("SELECT config FROM runs WHERE run_id = ?", [run_id]).fetchone()
        redirects, answers = con.execute(REDIRECT_COUNT_SQL, [run_id]).fetchone()
    config = json.loads(config) if isinstance(config, str) else config
    note = redirect_note(redirects, answers, config)
    if note:
        progress.message(note)
    for line in summary:
        progress.message(line)
    lines = []
    for endpoint, path, code, body, error in failed:
        log = f" ({server_log})" if server_log and code >= 500 else ""
        context = FailureContext.of_operation(config, endpoint)
        lines.append((endpoint, code, body,
                      f"{likely_fix(int(code), body, error, path, context=context)}{log}"))
    if len(lines) <= GROUP_AFTER:
        for endpoint, _, _, fix in lines:
            progress.message(f"every request failed: {endpoint}: {fix}")
        return
    # A big app can fail hundreds of operations the same way: one line per cause (the status
    # and the hint, the app's own words left out: they name each route's item), not per route.
    by_cause: dict[str, list[str]] = {}
    for endpoint, code, body, fix in lines:
        by_cause.setdefault(cause(int(code), body, fix), []).append(endpoint)
    progress.message(f"every request failed on {len(lines)} operations (`perf report` shows all):")
    for why, endpoints in sorted(by_cause.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(endpoints[:SHOWN]) + (
            f" and {len(endpoints) - SHOWN} more" if len(endpoints) > SHOWN else "")
        progress.message(f"  {why} on {plural(len(endpoints), 'operation')}: {shown}")


def cause(code: int, body: bytes | None, fix: str) -> str:
    """A hint without what the app said: 'HTTP 404 (Notebook not found): no such item ...'
    and 'HTTP 404 (Note not found): no such item ...' are one cause."""
    said = f"HTTP {code} ({detail_text(body)})"
    return f"HTTP {code}{fix[len(said):]}" if fix.startswith(said) else fix
