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
        return " ".join(parts) or "the latest run"


def selection_from_options(run=(), last=None, label=None, endpoint=(), filter=(), workers=()) -> Selection:
    """A Selection from the CLI's repeatable / comma-list options."""
    from perf.errors import PerfError
    from perf.options import split_list

    worker_counts = []
    for value in split_list(workers):
        try:
            worker_counts.append(int(value))
        except ValueError:
            raise PerfError(f"--workers takes whole numbers, not {value!r}") from None
    # Endpoints contain commas only in theory; run ids and prefixes never do.
    return Selection(
        runs=split_list(run),
        last=last,
        label=label,
        endpoints=[e for e in endpoint if e.strip()],
        prefixes=split_list(filter),
        workers=worker_counts,
    )
