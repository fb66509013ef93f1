"""perf's scratch folders in the temporary directory: private while they live, removed by the
next perf once the perf that made one is gone.

A sweep's scratch folder holds its targets files, each line carrying every header sent (an
`Authorization: Bearer ...` among them). perf removes the folder when it ends, but a perf killed
outright (SIGKILL, the OOM killer, a power cut) cannot; the next `perf collect` or `perf ingest`
does. So a stale folder can be told from a live one:

- its owner holds an advisory lock (flock) on the folder for as long as it lives. The kernel
  drops it when the process dies, however it dies, and no clock is involved: a live perf's
  folder is never taken for stale (a liveness check by start time alone is not enough on
  Linux, where a process's start time is derived from the boot time, which moves when the
  wall clock is stepped: a VM's clock set after a resume made a live perf look gone, and a
  second perf removed its results file mid-sweep);
- its name carries the pid of the perf that made it and that process's start time (a pid the
  system gave to another process since is not the owner): `perf-collect-<pid>-<start ms>-<random>`.
  This covers the instant between the folder's creation and its lock, and the folders of
  perfs that took no lock (older versions, a file system without flock).

A folder is removed only when its lock is free *and* its owner is proven gone; anything else
(another user's folder, a name of an older perf) is left alone.
"""

from __future__ import annotations

import fcntl
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
_held: dict[Path, int] = {}  # this process's scratch folders -> the descriptor holding the lock


def make(command: str) -> Path:
    """A new scratch folder for `perf COMMAND`, readable by this user only (mkdtemp: 0700),
    locked by this process until `remove` (or its death)."""
    started_ms = round(psutil.Process().create_time() * 1000)
    path = Path(tempfile.mkdtemp(prefix=f"perf-{command}-{os.getpid()}-{started_ms}-"))
    fd = _try_lock(path)
    if fd is not None:
        _held[path] = fd
    return path


def remove(path: Path) -> None:
    """Remove a folder `make` gave, then let go of its lock."""
    shutil.rmtree(path, ignore_errors=True)
    fd = _held.pop(path, None)
    if fd is not None:
        os.close(fd)


@contextmanager
def folder(command: str) -> Iterator[Path]:
    """A scratch folder for the length of the block."""
    path = make(command)
    try:
        yield path
    finally:
        remove(path)


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
        if not _named_ours(entry):
            continue
        fd = _try_lock(Path(entry.path))
        if fd is _LOCKED:
            continue  # its owner lives
        try:
            if not _owner_alive(entry.name):
                # A file that cannot go (another user's, inside our folder) stays for the next
                # perf to retry: this is tidying, not the work the user asked for.
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
        finally:
            if fd is not None:
                os.close(fd)  # held while removing: its owner cannot be mid-start
    return removed


_LOCKED = -1  # _try_lock: another process holds the folder's lock


def _try_lock(path: Path) -> int | None:
    """A descriptor holding the folder's lock; _LOCKED when another holds it; None when it
    cannot be locked here (gone, unreadable, no flock on this file system)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return _LOCKED
    except OSError:
        os.close(fd)
        return None
    return fd


def _named_ours(entry: os.DirEntry) -> bool:
    """A folder of this user named as perf names its scratch folders."""
    if _NAME.match(entry.name) is None:
        return False
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _owner_alive(name: str) -> bool:
    found = _NAME.match(name)
    pid, started_ms = int(found[1]), int(found[2])
    return process_alive(pid, started_ms / 1000)
