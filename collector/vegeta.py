"""Finding the vegeta binary and asking it its version."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from perf.errors import PerfError

PINNED_VERSION = "v12.13.0"
INSTALL_HINT = (
    f"install vegeta {PINNED_VERSION}: `make vegeta` (needs go), "
    f"`go install github.com/tsenart/vegeta/v12@{PINNED_VERSION}`, `brew install vegeta`, "
    "or a release binary on PATH; or point --vegeta / PERF_VEGETA at it"
)
_MODULE_VERSION = re.compile(rb"github\.com/tsenart/vegeta/v12\s+(v\d+\.\d+\.\d+)")


def find_vegeta(explicit: str | os.PathLike | None = None) -> Path:
    """--vegeta, then PERF_VEGETA, then the venv's bin, then PATH."""
    for candidate, origin in (
        (explicit, "--vegeta"),
        (os.environ.get("PERF_VEGETA"), "PERF_VEGETA"),
    ):
        if candidate:
            path = Path(candidate)
            if not (path.is_file() and os.access(path, os.X_OK)):
                raise PerfError(f"vegeta not found at {path} (from {origin}); {INSTALL_HINT}")
            return path
    venv_bin = Path(sys.prefix) / "bin" / "vegeta"
    if venv_bin.is_file() and os.access(venv_bin, os.X_OK):
        return venv_bin
    on_path = shutil.which("vegeta")
    if on_path:
        return Path(on_path)
    raise PerfError(f"vegeta not found; {INSTALL_HINT}")


def vegeta_version(binary: Path) -> str:
    """The version vegeta prints; for a `go install`ed binary (empty -version), its module version."""
    try:
        out = subprocess.run(
            [str(binary), "-version"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PerfError(f"cannot run vegeta at {binary}: {exc}") from exc
    match = re.search(r"Version:\s*(\S+)", out)
    if match:
        return match.group(1)
    # Go embeds the module path and version of the main package in the binary's build info.
    data = binary.read_bytes()
    found = _MODULE_VERSION.search(data)
    return found.group(1).decode() if found else "unknown"
