"""Requests counted per attack, status code and error kind: what the reports' status codes and
error kinds read. Kept beside attack_stats when an attack is stored (table request_counts), so
a run imported from a history folder without its raw requests still says how they failed;
attacks stored before (old stores, tests' generated ones) are counted from their raw rows."""

from __future__ import annotations

import duckdb

# vegeta's error strings start with the request (`Get "http://host/path/17": `) and may carry
# an ephemeral local port; both vary per request, so they are removed to count error kinds.
ERROR_KIND_SQL = r"""
regexp_replace(
    regexp_replace(error, '^[A-Za-z]+ "[^"]*": ', ''),
    '[0-9]+(\.[0-9]+){3}:[0-9]+->', '', 'g')
"""

# The counts of the attacks in the list parameter $ids, from their raw rows (kind NULL: no error).
LIVE_COUNTS_SQL = f"""
SELECT attack_id, code, CASE WHEN error <> '' THEN {ERROR_KIND_SQL} END AS kind, count(*) AS n
FROM requests WHERE attack_id IN (SELECT unnest($ids::BIGINT[]))
GROUP BY ALL
"""

# Stored counts of the attacks in $ids, and live ones of those that have none stored. The
# attacks to count live are found first: filtering the live counts afterwards scanned every
# requested attack's raw rows (0.1 s for 50 runs of 20 attacks whose counts were all stored).
COUNTS_SQL = f"""
WITH stored AS (
    SELECT attack_id, code, kind, n FROM request_counts
    WHERE attack_id IN (SELECT unnest($ids::BIGINT[]))
), unstored AS (
    SELECT unnest($ids::BIGINT[]) AS attack_id EXCEPT SELECT attack_id FROM stored
)
SELECT * FROM stored
UNION ALL
SELECT attack_id, code, CASE WHEN error <> '' THEN {ERROR_KIND_SQL} END AS kind, count(*) AS n
FROM requests WHERE attack_id IN (SELECT attack_id FROM unstored)
GROUP BY ALL
"""


def cache_counts(con: duckdb.DuckDBPyConnection, attack_id: int) -> None:
    """Store one attack's counts, from its raw rows (beside perf.store.stats.cache_stats)."""
    con.execute("DELETE FROM request_counts WHERE attack_id = ?", [attack_id])
    con.execute(f"INSERT INTO request_counts BY NAME {LIVE_COUNTS_SQL}", {"ids": [attack_id]})
