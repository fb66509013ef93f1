"""Redirects in the reports: how many answers of each run were a 3xx, and whether its success
rule (perf collect --success) counted them (perf.store.redirects has the words, shared with the
end of `perf collect`). Pure: the report's runs and statuses in, lines out."""

from __future__ import annotations

from perf.store.redirects import is_redirect, redirect_note
from perf.store.stats import DEFAULT_SUCCESS_RULE, SUCCESS_RULES, success_rule
from perf.reporter.rows import RunRow


def redirect_warnings(report, names: dict[str, str], runs: list[RunRow] | None = None) -> list[str]:
    """One line per run (of `runs`, default all) some of whose answers were redirects."""
    runs = report.runs if runs is None else runs
    multi = len(report.runs) > 1
    out = []
    for run in runs:
        redirects = answers = 0
        for attack in report.attacks:
            if attack.run_id != run.run_id or attack.role == "background":
                continue
            for code, n in (report.statuses.get(attack.attack_id) or {}).items():
                answers += n if code > 0 else 0
                redirects += n if is_redirect(code) else 0
        note = redirect_note(redirects, answers, run.config)
        if note:
            out.append((f"run {names.get(run.run_id, run.run_id)}: " if multi else "") + note)
    return out


def success_words(runs: list[RunRow]) -> str:
    """'200-399', or what runs collected with --success 2xx count."""
    rules = {success_rule(r.config) for r in runs}
    low, high = SUCCESS_RULES[DEFAULT_SUCCESS_RULE]
    if rules == {DEFAULT_SUCCESS_RULE}:
        return f"{low}-{high}"
    strict = SUCCESS_RULES["2xx"]
    if rules == {"2xx"}:
        return f"{strict[0]}-{strict[1]} (--success 2xx)"
    return f"{low}-{high} ({strict[0]}-{strict[1]} in runs collected with --success 2xx)"
