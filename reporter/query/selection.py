"""What `perf report` / `perf runs` look at: which runs, and which attacks in them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Selection:
    runs: list[str] = field(default_factory=list)  # run ids, unique id prefixes or labels
    last: int | None = None  # the N most recent runs (of the label, when one is given)
    label: str | None = None  # runs carrying this label
    endpoints: list[str] = field(default_factory=list)  # "GET /path/{p}" or just "/path/{p}"
    prefixes: list[str] = field(default_factory=list)  # path (or endpoint) prefixes
    workers: list[int] = field(default_factory=list)
    baseline: str | None = None  # a run (id, prefix or label) shown first, the others against it

    def describe(self) -> str:
        """The selection as the options that made it, for error messages."""
        parts = [f"--run {r}" for r in self.runs]
        if self.last is not None:
            parts.append(f"--last {self.last}")
        if self.label is not None:
            parts.append(f"--label {self.label}")
        parts += [f"--endpoint {e}" for e in self.endpoints]
        parts += [f"--filter {p}" for p in self.prefixes]
        parts += [f"--workers {w}" for w in self.workers]
        if self.baseline is not None:
            parts.append(f"--baseline {self.baseline}")
        return " ".join(parts) or "the latest run"
