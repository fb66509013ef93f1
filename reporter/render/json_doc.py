"""`--format json`: every metric at full precision, with units and the run metadata.

Keys are stable and documented in reporter/README.md; values are never rounded (format them
with the `metrics` registry at the top of the document).
"""

from __future__ import annotations

from perf.store.failures import BODY_SAMPLE_BYTES, body_text
from perf.base.jsontext import json_document
from perf.reporter.compute import checks as server_checks, tables as compute, scaling
from perf.reporter.compute.why_failed import failure_rows
from perf.reporter.compute.redirects import redirect_warnings
from perf.reporter.render.shared import iso
from perf.store.metrics import METRICS
from perf.reporter.rows import RunRow

FORMAT_VERSION = 1
RUN_KEYS = [
    "run_id", "started_at", "finished_at", "status", "label", "git_commit", "git_branch",
    "git_dirty", "host", "cpu_model", "cpu_count", "os", "python_version", "vegeta_version",
    "perf_version", "target", "config", "attacks", "requests",
]
ATTACK_KEYS = [
    "attack_id", "run_id", "endpoint", "method", "path", "server", "workers", "mode",
    "target_rate", "concurrency", "planned_duration_s", "started_at", "finished_at",
    "loadgen_cpu_max", "generator_ok", "generator_note", "repeat_index", "role", "background",
    "check_id",
]


def run_dict(run: RunRow) -> dict:
    """A run as every JSON output writes it (RUN_KEYS, times as ISO text)."""
    stored = run.as_dict()
    return {k: iso(stored.get(k)) for k in RUN_KEYS}


def report_dict(report) -> dict:
    """The JSON document as plain data (also what tests and other tools can reuse)."""
    attacks = []
    stalls = server_checks.stalled(report.checks)
    for a in report.attacks:
        stored = a.as_dict()
        row = {k: stored.get(k) for k in ATTACK_KEYS}
        row["started_at"] = iso(a.attack_started_at)
        row["finished_at"] = iso(a.attack_finished_at)
        row["server_stall"] = server_checks.attack_stall(a, stalls)
        row["metrics"] = {name: a.metric(name) for name in METRICS}
        row["status_codes"] = {str(code): n for code, n in report.statuses.get(a.attack_id, {}).items()}
        row["errors"] = dict(report.errors.get(a.attack_id, {}))
        row["error_samples"] = {str(code): body_text(body, BODY_SAMPLE_BYTES) for code, body
                                in report.error_samples.get(a.attack_id, {}).items()}
        attacks.append(row)
    return {
        "format": "perf-report",
        "version": FORMAT_VERSION,
        "metrics": {
            m.name: {"label": m.label, "unit": m.unit, "higher_is_better": m.higher_is_better}
            for m in METRICS.values()
        },
        "runs": [run_dict(r) for r in report.runs],
        "attacks": attacks,
        "max_sustainable_rate": compute.max_sustainable_rates(report.attacks, report.statuses),
        "failures": failure_rows(report),
        "server_checks": [{k: iso(v) for k, v in c.as_dict().items()} for c in report.checks],
        "warnings": server_checks.warnings(report.checks, compute.run_names(report.runs),
                                           len(report.runs) > 1, report.attacks)
        + redirect_warnings(report, compute.run_names(report.runs)),
        "capacity": scaling.capacity_results(report.capacity, report.attacks),
        "scaling": scaling.report_scaling(report),
    }


def render_json(report) -> str:
    return json_document(report_dict(report))
