"""The server self-check in the reports: which server starts stalled kept-alive responses.

perf collect probes every server start (collector/server/selfcheck.py) and stores the result in
`server_checks`; every attack carries the check_id of the start it ran on. A stall adds ~40 ms
to every response after the first on a kept-alive connection, so every latency measured on that
server carries it: every output says so in plain words, naming the cause the check stored
("responses on kept-alive connections stall ~42 ms: TCP_NODELAY is off (uvicorn 0.54.0 --workers > 1;
fixed in 0.55.0)").

Pure: rows (query.server_checks, query.attack_summaries) in, words out.
"""

from __future__ import annotations

from perf.reporter.rows import AttackRow, CheckRow


def server_words(check: CheckRow) -> str:
    """'uvicorn, 2 workers', or 'the --url server'."""
    if check.server in (None, "external"):
        return "the --url server"
    if check.workers is None:
        return check.server
    return f"{check.server}, {check.workers} worker" + ("" if check.workers == 1 else "s")


def stalled(checks: list[CheckRow]) -> dict[int, CheckRow]:
    """check_id -> check, of the checks that found a stall."""
    return {c.check_id: c for c in checks if c.stall}


def attack_stall(attack: AttackRow, stalls: dict[int, CheckRow]) -> str | None:
    """The stall warning of the server start `attack` ran on, or None."""
    check = stalls.get(attack.check_id)
    return check.note if check else None


def warnings(checks: list[CheckRow], names: dict[str, str], multi: bool,
             attacks: list[AttackRow] | None = None) -> list[str]:
    """One line per stalled server (starts of the same server in a run said once):
    'uvicorn, 2 workers: responses on kept-alive connections stall ~42 ms: TCP_NODELAY is off
    (uvicorn --workers > 1); every latency measured on it carries the stall'. With `attacks`,
    only checks some of them ran after."""
    used = None if attacks is None else {a.check_id for a in attacks}
    lines: dict[tuple, str] = {}
    for check in checks:
        if not check.stall or (used is not None and check.check_id not in used):
            continue
        run = f" (run {names.get(check.run_id, check.run_id)})" if multi else ""
        key = (check.run_id, check.server, check.workers)
        lines.setdefault(key, f"{server_words(check)}{run}: {check.note}; every latency "
                              f"measured on it carries the stall")
    return list(lines.values())


def unchecked(checks: list[CheckRow], names: dict[str, str], multi: bool) -> list[str]:
    """Checks that could not decide (a probe that timed out or was refused), in words."""
    out = []
    for check in checks:
        if not check.stall and check.note:
            run = f" (run {names.get(check.run_id, check.run_id)})" if multi else ""
            out.append(f"{server_words(check)}{run}: {check.note}")
    return out
