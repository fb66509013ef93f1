"""--success: which status codes count as success in a run. The rules and their SQL live in
perf.store.stats (one home for collector and reporter); here they are parsed and stored."""

from __future__ import annotations

from perf.base.errors import PerfError
from perf.store.stats import DEFAULT_SUCCESS_RULE, SUCCESS_RULES

__all__ = ["DEFAULT_SUCCESS_RULE", "parse_success", "without_default_success"]


def parse_success(raw, where: str) -> str:
    """'2xx' or '2xx-3xx' (case and spaces aside)."""
    rule = str(raw).strip().lower().replace(" ", "")
    if rule not in SUCCESS_RULES:
        raise PerfError(f"bad {where} {raw!r}: use {' or '.join(SUCCESS_RULES)} (2xx counts a "
                        f"redirect as a failure)")
    return rule


def without_default_success(config: dict) -> dict:
    """The stored config names the rule only when it is not the default, so a run collected
    without --success stores (and every output shows) what it did before the option existed."""
    if config.get("success") == DEFAULT_SUCCESS_RULE:
        config.pop("success")
    return config
