"""The end of a sweep: one line for each operation that failed every request it sent, with the
likely fix (perf.store.failures), so a user learns at once that a route wants a token or an id."""

from __future__ import annotations

from pathlib import Path

from perf.store.failures import likely_fix
from perf.store.database import store_session


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
    for endpoint, path, code, body, error in failed:
        log = f" ({server_log})" if server_log and code >= 500 else ""
        progress.message(f"every request failed: {endpoint}: "
                         f"{likely_fix(int(code), body, error, path)}{log}")
