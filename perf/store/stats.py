"""Per-attack aggregates of the raw rows, defined once for collector and reporter.

The collector caches them in `attack_stats` when it stores an attack (same transaction, so
they describe exactly the stored rows); the reporter reads the cache and recomputes, from the
raw rows, any attack without a current row (stores migrated from v1, an older STATS_VERSION).
The raw rows stay the source of truth: a cached row is the same SQL run once instead of per
report.
"""

from __future__ import annotations

import duckdb

# Bump when an aggregate below changes: cached rows of another version are then ignored.
STATS_VERSION = 1
# Latency quantiles of one quantile_cont call (linear interpolation = numpy's default).
QUANTILES = (0.5, 0.9, 0.95, 0.99, 0.999)

# A success is a status code 200-399 (vegeta's rule): written here once, read by the SQL
# below, the collector's live counter and the reporter's charts.
SUCCESS_CODES = (200, 399)
SUCCESS_SQL = f"code BETWEEN {SUCCESS_CODES[0]} AND {SUCCESS_CODES[1]}"


# `perf collect --success` sets a run's rule, stored in its config under "success" and read by
# every output of that run: 2xx-3xx (the default, above) or 2xx (a redirect is a failure).
SUCCESS_RULES = {"2xx-3xx": SUCCESS_CODES, "2xx": (200, 299)}
DEFAULT_SUCCESS_RULE = "2xx-3xx"


def success_rule(config: dict | None) -> str:
    """The success rule of a run, from its stored config (runs before --success: the default)."""
    rule = (config or {}).get("success") if isinstance(config, dict) else None
    return rule if rule in SUCCESS_RULES else DEFAULT_SUCCESS_RULE


def success_codes(rule: str | None = None) -> tuple[int, int]:
    """The (lowest, highest) success code under `rule` (None or unknown: the default)."""
    return SUCCESS_RULES.get(rule or DEFAULT_SUCCESS_RULE, SUCCESS_CODES)


def is_success(code, rule: str | None = None):
    """True for a successful status code; works element-wise on a numpy array of codes."""
    low, high = success_codes(rule)
    return (code >= low) & (code <= high)


def success_sql(rule: str | None = None) -> str:
    """SUCCESS_SQL under a run's rule."""
    low, high = success_codes(rule)
    return f"code BETWEEN {low} AND {high}"


# A redirect: perf never follows one (vegeta -redirects=-1), so a 3xx is the app's answer,
# a success by the rule above, and counted apart so that outputs can say so.
REDIRECT_CODES = (300, 399)
REDIRECT_SQL = f"code BETWEEN {REDIRECT_CODES[0]} AND {REDIRECT_CODES[1]}"

_IDS = "(SELECT unnest($ids::BIGINT[]))"

# The highest success code under the rule of the attack's run (runs.config's "success").
_RULE_HIGH_SQL = (f"CASE json_extract_string(ru.config, '$.success') WHEN '2xx' THEN "
                  f"{SUCCESS_RULES['2xx'][1]} ELSE {SUCCESS_CODES[1]} END")
# A success under the rule of the attack's run, over rows joined to ATTACK_RULES_SQL.
RULED_SUCCESS_SQL = f"code BETWEEN {SUCCESS_CODES[0]} AND coalesce(success_high, {SUCCESS_CODES[1]})"

# (attack_id, success_high) of the attacks in the list parameter $ids.
ATTACK_RULES_SQL = (f"SELECT a.attack_id, {_RULE_HIGH_SQL} AS success_high "
                    f"FROM attacks a JOIN runs ru USING (run_id) WHERE a.attack_id IN {_IDS}")
# An attack being stored has no attacks row yet: the rule of its run, named by $run.
_RUN_RULE = (f"SELECT unnest($ids::BIGINT[]) AS attack_id, {_RULE_HIGH_SQL} AS success_high "
             f"FROM runs ru WHERE ru.run_id = $run")


def request_aggregates(success: str = SUCCESS_SQL) -> str:
    """One attack's request aggregates, over rows with vegeta's columns (ts, code, latency_ns);
    `success`: the SQL condition of a success (the default rule, or a run's)."""
    return f"""
        count(*) AS requests,
        count(*) FILTER (WHERE {success}) AS successes,
        min(ts) AS first_ts,
        max(ts) AS last_ts,
        max(ts + latency_ns) AS end_ts,
        avg(latency_ns) AS mean_ns,
        max(latency_ns) AS max_ns,
        quantile_cont(latency_ns, {list(QUANTILES)!r}) AS q"""


# The aggregates of the attacks in the list parameter $ids, from the raw rows.
LIVE_STATS_SQL = f"""
SELECT r.attack_id, r.requests, r.successes, r.first_ts, r.last_ts, r.end_ts, r.mean_ns,
       r.max_ns, r.q, s.cpu_avg, s.cpu_max, s.rss_avg, s.rss_max
FROM (
    SELECT attack_id,{request_aggregates(RULED_SUCCESS_SQL)}
    FROM requests LEFT JOIN ({ATTACK_RULES_SQL}) rule USING (attack_id)
    WHERE attack_id IN {_IDS}
    GROUP BY attack_id
) r
LEFT JOIN (
    SELECT attack_id,
        avg(cpu_percent) AS cpu_avg,
        max(cpu_percent) AS cpu_max,
        avg(rss_bytes) AS rss_avg,
        max(rss_bytes) AS rss_max
    FROM samples
    WHERE process = 'server' AND attack_id IN {_IDS}
    GROUP BY attack_id
) s USING (attack_id)
"""

def stats_of(attacks: str) -> str:
    """The aggregates of the attacks whose ids the query `attacks` (one column) gives: cached
    rows of those attack_stats holds at STATS_VERSION, live ones (LIVE_STATS_SQL) of the rest.
    The split is made inside DuckDB: no id list goes through Python (a thousand runs hold
    twenty thousand attacks, and binding their ids twice cost more than the query)."""
    cached = f"SELECT attack_id FROM attack_stats WHERE version = {STATS_VERSION}"
    return f"""
SELECT * EXCLUDE (version) FROM attack_stats
WHERE version = {STATS_VERSION} AND attack_id IN ({attacks})
UNION ALL BY NAME
SELECT * FROM ({LIVE_STATS_SQL.replace(_IDS, f"(({attacks}) EXCEPT ({cached}))")})
"""


def cache_stats(con: duckdb.DuckDBPyConnection, attack_id: int, run_id: str | None = None) -> None:
    """Compute and store one attack's aggregates (`run_id`: of an attack whose row is not
    written yet, so that its run's success rule applies)."""
    sql, params = LIVE_STATS_SQL, {"ids": [attack_id]}
    if run_id is not None:
        sql, params = sql.replace(ATTACK_RULES_SQL, _RUN_RULE), {**params, "run": run_id}
    con.execute(
        f"INSERT OR REPLACE INTO attack_stats BY NAME "
        f"SELECT {STATS_VERSION} AS version, * FROM ({sql})",
        params,
    )


# A rate is sustained when nearly every request succeeded and the server kept up with the
# offered load (both at least 99%; see keeping_up_rps for what "kept up" is measured against).
# The report's maximum sustainable rate and the collector's capacity search both judge by it.
SUSTAINED_SUCCESS = 0.99
SUSTAINED_ACHIEVED = 0.99


def keeping_up_rps(attack: dict) -> float:
    """The achieved RPS of a server that keeps up with the target rate, answering at the
    attack's median latency.

    Achieved RPS divides by duration + wait (vegeta's throughput), and even a server that keeps
    up makes the last answers wait about one latency: a 300 ms endpoint loses 3% of a 10 s
    attack to it and would never count as sustained against the bare target. A server that
    falls behind builds a queue, so its wait grows far past its median and it still fails.
    """
    target = attack["target_rate"]
    duration, p50_ms = attack.get("duration_s"), attack.get("latency_p50_ms")
    if not duration or p50_ms is None:
        return target
    return target * duration / (duration + p50_ms / 1000)


FAILED, PARTLY_FAILED, UNSUSTAINED = "failed", "partly failed", "unsustained"


def attack_problem(attack: dict) -> str | None:
    """What went wrong in one attack by the sustained rule above, or None: FAILED (no request
    succeeded), PARTLY_FAILED (success under 99%), UNSUSTAINED (an open loop whose server did
    not keep up). The end of `perf collect` and the dashboard's summary both judge by it.
    `attack`: success_ratio, achieved_rps, mode, target_rate, duration_s, latency_p50_ms,
    generator_ok."""
    success = attack.get("success_ratio")
    if success is None:
        return None
    if success == 0:
        return FAILED
    if success < SUSTAINED_SUCCESS:
        return PARTLY_FAILED
    achieved, rate = attack.get("achieved_rps"), attack.get("target_rate")
    # A load generator that fell short (its check failed) offered less than the rate: that
    # says nothing of the server, and is said as its own warning.
    if (attack.get("generator_ok") is not False and attack.get("mode", "rate") == "rate"
            and rate and achieved is not None
            and achieved < SUSTAINED_ACHIEVED * keeping_up_rps(attack)):
        return UNSUSTAINED
    return None
