"""Words for counts and times, written once for every line perf prints."""

from __future__ import annotations


def plural(n: int | None, word: str, many: str | None = None) -> str:
    """`1 worker`, `2 workers`; `many` for words that do not just take an s."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def clock(seconds: float) -> str:
    """m:ss, never negative."""
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def load_label(mode: str, load: float | int | None) -> str:
    """A load as every output and the progress write it: `50/s` (open loop) or `c=5` (closed)."""
    if load is None:
        return "-"
    if mode == "rate":
        return f"{load:g}/s"
    return f"c={load:g}"
