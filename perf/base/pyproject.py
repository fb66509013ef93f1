"""[tool.perf] of the nearest pyproject.toml: read in one place for `perf collect` (its keys)
and `perf compare` / `perf history` (its `compare` table)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from perf.base.errors import PerfError


def tool_perf(start: Path | None = None) -> tuple[dict, Path | None]:
    """([tool.perf] of the nearest pyproject.toml from `start` (default: here) upwards, that
    file); ({}, None) when no pyproject.toml is found."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text())
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise PerfError(f"{candidate}: invalid TOML ({exc})") from exc
            except OSError as exc:
                raise PerfError(f"{candidate}: cannot read it ({exc.strerror})") from exc
            section = data.get("tool", {}).get("perf", {})
            if not isinstance(section, dict):
                raise PerfError(f"{candidate}: [tool.perf] must be a table")
            return section, candidate
    return {}, None
