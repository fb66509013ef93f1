"""perf's scratch folders in the temporary directory: private while they live, removed by the
next perf once the perf that made one is gone.

A sweep's scratch folder holds its targets files, each line carrying every header sent (an
`Authorization: Bearer ...` among them). perf removes the folder when it ends, but a perf killed
outright (SIGKILL, the OOM killer, a power cut) cannot; the next `perf collect` or `perf ingest`
does. So a stale folder can be told from a live one, its name carries the pid of the perf that
made it and that process's start time (a pid the system gave to another process since is not
the owner): `perf-collect-<pid>-<start ms>-<random>`. A folder is removed only when that proves
its owner gone; anything else (another user's folder, a name of an older perf) is left alone.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil

from perf.collector.storage.run_rows import process_alive

_NAME = re.compile(r"^perf-(?:collect|ingest)-(\d+)-(\d+)-")


def make(command: str) -> Path:
    """A new scratch folder for `perf COMMAND`, readable by this user only (mkdtemp: 0700)."""
    started_ms = round(psutil.Process().create_time() * 1000)
    return Path(tempfile.mkdtemp(prefix=f"perf-{command}-{os.getpid()}-{started_ms}-"))


@contextmanager
def folder(command: str) -> Iterator[Path]:
    """A scratch folder for the length of the block."""
    path = make(command)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def private(path: str, flags: int) -> int:
    """An opener for open(): a file the user alone may read (0600), for anything holding a
    header or a body, which may carry a secret."""
    return os.open(path, flags, 0o600)


def write_private(path: Path, data: bytes) -> None:
    with open(path, "wb", opener=private) as fh:
        fh.write(data)


def remove_stale(root: Path | None = None) -> list[Path]:
    """Remove this user's scratch folders whose perf is gone; the folders removed."""
    root = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []  # no temporary directory to read: nothing of ours can be in it
    for entry in entries:
        if _is_stale(entry):
            # A file that cannot go (another user's, inside our folder) stays for the next
            # perf to retry: this is tidying, not the work the user asked for.
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _is_stale(entry: os.DirEntry) -> bool:
    found = _NAME.match(entry.name)
    if found is None:
        return False
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    pid, started_ms = int(found[1]), int(found[2])
    return not process_alive(pid, started_ms / 1000)
