"""The sweep's progress lines that need more than the progress display knows: an attack's
summary (read back from the store, as stored) and the self-check at each server start."""

from __future__ import annotations

from perf.base.text import plural
from perf.collector.server.selfcheck import KeepAliveCheck, uvicorn_stalls
from perf.collector.server.server import Server
from perf.store.metrics import format_value, metric_sql
from perf.store.stats import REDIRECT_SQL


def summary_line(con, attack_id: int) -> str:
    """One line for the progress display, from the aggregates store_attack just cached."""
    n, ratio, rps, flag, note = con.execute(
        f"""
        SELECT st.requests, {metric_sql('success_ratio', 'st')}, {metric_sql('achieved_rps', 'st')},
               a.generator_ok, a.generator_note
        FROM attack_stats st JOIN attacks a USING (attack_id) WHERE attack_id = ?
        """,
        [attack_id],
    ).fetchone()
    # A 3xx counts as ok (vegeta's rule) though perf never follows it: say how many there were.
    (redirects,) = con.execute(
        f"SELECT count(*) FROM requests WHERE attack_id = ? AND {REDIRECT_SQL}",
        [attack_id]).fetchone()
    moved = f" ({plural(redirects, 'redirect')}, not followed)" if redirects else ""
    warn = "" if flag else f"  !! generator: {note}"
    return (f"{n} requests, {100.0 * ratio:.1f}% ok{moved}, "
            f"{format_value('achieved_rps', rps)} successful/s{warn}")


def check_line(check: KeepAliveCheck, server: Server, uvicorn_version: str | None = None) -> str:
    """The self-check as the progress shows it at server start: a warning naming the cause
    when kept-alive connections stall, else the two medians."""
    if check.stall:
        fix = (" (--server uvicorn-nodelay runs it with the fix, or upgrade uvicorn)"
               if uvicorn_stalls(server.kind, server.workers, uvicorn_version) else "")
        return f"warning: {check.note}; every latency measured on this server carries it{fix}"
    if check.keepalive_ms is None or check.fresh_ms is None:
        return f"self-check: {check.note}"
    return (f"self-check: no keep-alive stall (median {check.keepalive_ms:.1f} ms kept alive, "
            f"{check.fresh_ms:.1f} ms on fresh connections)")
