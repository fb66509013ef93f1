"""What carries one finished attack from the sweep (or an ingest) to the store: a frozen,
validated record, so a bad value fails where it is made rather than inside an INSERT."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

MODES = ("rate", "concurrency")
ROLES = ("foreground", "background")


@dataclass(frozen=True)
class AttackRecord:
    """The `attacks` columns known before the attack's rows are read (see perf/store/database.py).

    sent_rate and the generator verdict are derived from the stored rows by store_attack.
    """

    run_id: str
    endpoint: str  # "METHOD /path/{param}", plus a suffix for the two sides of a mix
    method: str
    path: str
    mode: str = "rate"  # rate (open loop) | concurrency (closed loop)
    target_rate: float | None = None  # rate mode; None when unknown (an ingest without --rate)
    concurrency: int | None = None  # concurrency mode
    server: str | None = None  # uvicorn | gunicorn | external | ...
    workers: int | None = None
    duration_s: float | None = None  # planned length
    started_at: datetime | None = None
    finished_at: datetime | None = None
    repeat_index: int = 0  # 0..N-1 with `perf collect --repeat N`
    role: str | None = None  # None: alone; foreground / background: the two sides of a mix
    background: str | None = None  # both sides of a mix: what the background load was
    foreground_id: int | None = None  # a background attack: the attack it ran beside
    check_id: int | None = None  # the server self-check of the server start it ran on

    def __post_init__(self) -> None:
        if not self.run_id:
            raise ValueError("an attack needs its run_id")
        if self.mode not in MODES:
            raise ValueError(f"attack mode {self.mode!r}: expected one of {', '.join(MODES)}")
        if self.mode == "rate":
            if self.target_rate is not None and not _positive(self.target_rate):
                raise ValueError(f"target_rate {self.target_rate!r}: expected a positive number")
            if self.concurrency is not None:
                raise ValueError("a rate attack has no concurrency")
        else:
            if not isinstance(self.concurrency, int) or self.concurrency < 1:
                raise ValueError(f"concurrency {self.concurrency!r}: expected a whole number >= 1")
            if self.target_rate is not None:
                raise ValueError("a closed-loop attack has no target rate")
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise ValueError(f"workers {self.workers!r}: expected a whole number >= 1")
        if self.duration_s is not None and not _positive(self.duration_s):
            raise ValueError(f"duration_s {self.duration_s!r}: expected a positive number")
        if self.repeat_index < 0:
            raise ValueError(f"repeat_index {self.repeat_index!r}: expected >= 0")
        if self.role is not None and self.role not in ROLES:
            raise ValueError(f"role {self.role!r}: expected one of {', '.join(ROLES)}")

    @property
    def load(self) -> float | int | None:
        return self.target_rate if self.mode == "rate" else self.concurrency

    def but(self, **changes) -> "AttackRecord":
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0
