"""Why requests failed: per run and endpoint, each failing status code with how many requests
got it, the body the app sent with it (one sample per attack and code, kept by the collector)
and the likely fix (perf.store.failures, the same words as the end of `perf collect`). Pure: the
report's statuses and samples in, rows out."""

from __future__ import annotations

from collections import defaultdict

import re

from perf.store.failures import FailureContext, body_text, likely_fix
from perf.store.stats import is_success, success_rule


_HTTP_STATUS = re.compile(r"^\d{3}\b")


def failure_rows(report) -> list[dict]:
    """[{run_id, endpoint, code, requests, share, body, fix}], endpoints in report order,
    most frequent code first."""
    counts: dict[tuple, int] = defaultdict(int)
    totals: dict[tuple, int] = defaultdict(int)
    bodies: dict[tuple, bytes] = {}
    paths: dict[str, str] = {}
    rules = {r.run_id: success_rule(r.config) for r in report.runs}
    for attack in report.attacks:
        where = (attack.run_id, attack.endpoint)
        paths[attack.endpoint] = attack.path or ""
        totals[where] += attack.metric("requests") or 0
        samples = report.error_samples.get(attack.attack_id, {})
        for code, n in (report.statuses.get(attack.attack_id) or {}).items():
            if is_success(code, rules.get(attack.run_id)):
                continue
            counts[(*where, code)] += n
            if code in samples:
                bodies.setdefault((*where, code), samples[code])
    configs = {r.run_id: r.config for r in report.runs}
    rows = []
    for (run_id, endpoint, code), n in counts.items():
        body = bodies.get((run_id, endpoint, code))
        total = totals[(run_id, endpoint)]
        error = None
        if code == 0:  # no response: the error text says why (a timeout, a reset connection)
            # vegeta also names an HTTP answer's status as an error ("500 Internal Server
            # Error"): only the others belong to requests that got no answer.
            error = next((kind for a in report.attacks
                          if a.run_id == run_id and a.endpoint == endpoint
                          for kind in report.errors.get(a.attack_id, {})
                          if not _HTTP_STATUS.match(kind)), None)
        rows.append({"run_id": run_id, "endpoint": endpoint, "code": code, "requests": n,
                     "share": n / total if total else None, "body": body_text(body),
                     "fix": likely_fix(code, body, error, paths[endpoint],
                                       every=bool(total) and n >= total,
                                       context=FailureContext.of_operation(
                                           configs.get(run_id), endpoint))})
    order: dict[tuple, int] = {}
    for i, a in enumerate(report.attacks):
        order.setdefault((a.run_id, a.endpoint), i)
    rows.sort(key=lambda r: (order[(r["run_id"], r["endpoint"])], -r["requests"]))
    return rows
