"""Settings read once from the environment when the app is imported.

Read at start-up rather than per request so that a benchmark measures the endpoint, not
os.environ look-ups; every worker process reads the same environment.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_PATH = "results/target_app.sqlite3"
DEFAULT_SIMPLE_DELAY_MS = 50.0
DEFAULT_FANOUT_DELAY_MS = 100.0
DEFAULT_AIOSQLITE_CONNECTIONS = 4
# Iterations of the CPU scenario's pure-Python loop: about 20 ms on one 2020s core, enough
# that a 25% heavier request stands out from scheduling noise on a busy machine.
DEFAULT_CPU_ITERATIONS = 200_000


@dataclass(frozen=True)
class Settings:
    db_path: Path
    simple_delay_ms: float
    fanout_delay_ms: float
    # Multiplies every artificial delay: tests use it to inject a known slowdown.
    delay_scale: float
    aiosqlite_connections: int
    cpu_iterations: int
    # Multiplies the CPU scenario's work as delay_scale multiplies sleeps.
    cpu_scale: float
    cpu_processes: int  # the CPU scenario's process pool, per server worker

    @property
    def simple_delay_s(self) -> float:
        return self.simple_delay_ms * self.delay_scale / 1000

    @property
    def fanout_delay_s(self) -> float:
        return self.fanout_delay_ms * self.delay_scale / 1000

    @property
    def cpu_work(self) -> int:
        """Loop iterations per CPU-bound request."""
        return round(self.cpu_iterations * self.cpu_scale)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            db_path=Path(environ.get("TARGET_APP_DB") or DEFAULT_DB_PATH),
            simple_delay_ms=_number(environ, "TARGET_APP_SIMPLE_DELAY_MS", DEFAULT_SIMPLE_DELAY_MS),
            fanout_delay_ms=_number(environ, "TARGET_APP_FANOUT_DELAY_MS", DEFAULT_FANOUT_DELAY_MS),
            delay_scale=_number(environ, "TARGET_APP_DELAY_SCALE", 1.0),
            aiosqlite_connections=int(
                _number(environ, "TARGET_APP_AIOSQLITE_CONNECTIONS", DEFAULT_AIOSQLITE_CONNECTIONS, minimum=1)
            ),
            cpu_iterations=int(_number(environ, "TARGET_APP_CPU_ITERATIONS", DEFAULT_CPU_ITERATIONS)),
            cpu_scale=_number(environ, "TARGET_APP_CPU_SCALE", 1.0),
            cpu_processes=int(_number(environ, "TARGET_APP_CPU_PROCESSES", os.cpu_count() or 1, minimum=1)),
        )


def _number(environ: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not (math.isfinite(value) and value >= minimum):
        raise ValueError(f"{name} must be >= {minimum:g}, got {raw!r}")
    return value


settings = Settings.from_env()
