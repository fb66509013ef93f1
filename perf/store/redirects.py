"""What a run's redirects did to its success figures, in the same words at the end of
`perf collect` and in every report: perf never follows a redirect (vegeta -redirects=-1), so a
3xx is the app's whole answer, and the run's success rule (perf.store.stats) says whether it
counted."""

from __future__ import annotations

from perf.store.stats import REDIRECT_CODES, REDIRECT_SQL, success_rule

# The run's non-background answers: (redirects, answers with a status code).
REDIRECT_COUNT_SQL = f"""
SELECT count(*) FILTER (WHERE {REDIRECT_SQL}), count(*) FILTER (WHERE code > 0)
FROM requests r JOIN attacks a USING (attack_id)
WHERE a.run_id = ? AND coalesce(a.role, '') <> 'background'
"""


def is_redirect(code: int) -> bool:
    return REDIRECT_CODES[0] <= code <= REDIRECT_CODES[1]


def redirect_note(redirects: int, answers: int, config: dict | None) -> str | None:
    """One line when some answers were redirects, or None."""
    if not redirects:
        return None
    if success_rule(config) == "2xx":
        return (f"{redirects:,} of {answers:,} answers were redirects (3xx), counted as "
                f"failures (--success 2xx); perf does not follow them")
    return (f"{redirects:,} of {answers:,} answers were redirects (3xx), counted as "
            f"success; perf does not follow them; use --success 2xx to count them as failures")
