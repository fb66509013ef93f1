"""Finding the vegeta binary and asking it its version."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from perf.collector.server import processes
from perf.base.errors import PerfError

# The one home of the vegeta perf expects: the Makefile reads it from this line.
PINNED_VERSION = "v12.13.0"
INSTALL_HINT = (f"install vegeta {PINNED_VERSION} (`perf doctor` says how on this machine), "
                "or point --vegeta / PERF_VEGETA at it")
RELEASES = "https://github.com/tsenart/vegeta/releases"
# The release archives' names for the machines vegeta publishes binaries for (platform's words).
_RELEASE_OS = {"Linux": "linux", "Darwin": "darwin", "FreeBSD": "freebsd"}
_RELEASE_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
                 "i386": "386", "i686": "386"}
_MODULE_VERSION = re.compile(rb"github\.com/tsenart/vegeta/v12\s+(v\d+\.\d+\.\d+)")
_MODULE = b"github.com/tsenart/vegeta"

# One vegeta result, and the CSV line vegeta's encoder makes of it: a cheap call only vegeta
# answers exactly (perf reads every attack through this encoder).
_PROBE_RESULT = (b'{"attack":"perf-doctor","seq":7,"code":204,"timestamp":"2020-01-01T00:00:00Z",'
                 b'"latency":1500000,"bytes_out":3,"bytes_in":5,"error":"","body":null,'
                 b'"method":"GET","url":"http://127.0.0.1/doctor","headers":null}\n')
_PROBE_CSV = b"1577836800000000000,204,1500000,3,5,,,perf-doctor,7,GET,http://127.0.0.1/doctor,"


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


def install_lines() -> list[str]:
    """How to get the pinned vegeta on this machine, a command or URL a line (`perf doctor`, make)."""
    go = f"go install github.com/tsenart/vegeta/v12@{PINNED_VERSION}"
    where = ("  # go is on PATH: vegeta lands in $(go env GOPATH)/bin" if shutil.which("go")
             else "  # needs Go >= 1.22")
    os_name, arch = _RELEASE_OS.get(platform.system()), _RELEASE_ARCH.get(platform.machine())
    number = PINNED_VERSION.removeprefix("v")
    binary = (f"{RELEASES}/download/{PINNED_VERSION}/vegeta_{number}_{os_name}_{arch}.tar.gz"
              if os_name and arch else f"{RELEASES}/tag/{PINNED_VERSION}")
    return [go + where, f"or the release binary: {binary}",
            "then put vegeta on PATH, or point PERF_VEGETA (or --vegeta) at it"]


def vegeta_problem(binary: Path) -> str | None:
    """Why `binary` is not a vegeta perf can use, or None: it must answer -version as vegeta
    does (or carry vegeta's module path, as a `go install`ed one does) and encode a result
    exactly as vegeta's encoder does. Any executable named vegeta passes find_vegeta."""
    try:
        _, version, _ = _probe([str(binary), "-version"], b"")
        code, encoded, said = _probe([str(binary), "encode", "--to", "csv"], _PROBE_RESULT)
    except subprocess.TimeoutExpired as exc:
        return f"`{' '.join(exc.cmd[1:])}` did not finish within {exc.timeout:g}s: not vegeta"
    except OSError as exc:
        return f"cannot run it: {exc.strerror or exc}"
    if not re.search(rb"^Version:", version, re.M) and _MODULE not in binary.read_bytes():
        return "it does not answer -version as vegeta does, nor carry vegeta's module path: not vegeta"
    if code != 0 or encoded.strip() != _PROBE_CSV:
        lines = said.decode(errors="replace").strip().splitlines()
        why = f"exit {code}" + (f": {lines[-1]}" if lines else "")
        return f"it does not encode a vegeta result as vegeta does ({why}): not vegeta"
    return None


def _probe(args: list[str], data: bytes) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr) of a short call; on a timeout its whole process group is
    stopped, so a binary that hangs leaves nothing behind."""
    proc = processes.spawn(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(data, timeout=10)
    finally:
        processes.stop_group(proc, grace_s=0.5)
    return proc.returncode, out, err


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
