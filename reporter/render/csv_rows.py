"""`--format csv`: one row per attack, every metric at full precision (units in reporter/README.md)."""

from __future__ import annotations

import csv
import io

from perf.store.metrics import METRICS
from perf.reporter.render.shared import iso

COLUMNS = [
    "run_id", "run_label", "run_started_at", "git_commit", "attack_id", "endpoint", "method",
    "path", "server", "workers", "mode", "target_rate", "concurrency", "planned_duration_s",
    "generator_ok", "generator_note", *METRICS, "status_codes", "errors",
]


def render_csv(report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for a in report.attacks:
        row = a.as_dict()
        row["run_label"] = a.label
        row["run_started_at"] = iso(a.started_at)
        # code:count pairs, ';'-separated, so a spreadsheet keeps one attack per row.
        row["status_codes"] = ";".join(
            f"{code}:{n}" for code, n in report.statuses.get(a.attack_id, {}).items())
        row["errors"] = ";".join(
            f"{kind}:{n}" for kind, n in report.errors.get(a.attack_id, {}).items())
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in COLUMNS])
    return buffer.getvalue()
