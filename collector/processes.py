"""Child processes perf starts: each in its own process group, all ended on exit.

Every server and vegeta process is registered here, so the sweep's `finally`, a Ctrl-C or a
SIGTERM ends them by process group; PR_SET_PDEATHSIG covers perf itself being killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time

_children: dict[int, subprocess.Popen] = {}
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the explicit stop in the sweep's finally still applies


def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """Start a process as the leader of a new process group and remember it."""
    proc = subprocess.Popen(args, process_group=0, preexec_fn=_die_with_parent, **kwargs)
    _children[proc.pid] = proc
    return proc


def spawn_in_group(args: list[str], leader: subprocess.Popen, **kwargs) -> subprocess.Popen:
    """Start a process inside an existing group (a pipeline's second half)."""
    proc = subprocess.Popen(args, process_group=leader.pid, preexec_fn=_die_with_parent, **kwargs)
    return proc


def stop_group(proc: subprocess.Popen, grace_s: float = 5.0, sig: int = signal.SIGTERM) -> None:
    """Signal the whole group, wait up to grace_s, then SIGKILL whatever is left."""
    pgid = proc.pid
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if proc.poll() is not None and not _group_alive(pgid):
            break
        time.sleep(0.05)
    else:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
    _children.pop(proc.pid, None)


def _group_alive(pgid: int) -> bool:
    """Is a live process left in the group? Zombies do not count: a server's helper (e.g. the
    multiprocessing resource tracker) orphaned by its parent's exit stays a zombie in the
    group until init reaps it, which can take seconds and is nothing left to stop."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True  # no /proc: the group exists, so something may be running
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces or parentheses, so split
        # after its last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            return True
    return False


def stop_all() -> None:
    for proc in list(_children.values()):
        stop_group(proc, grace_s=3.0)
