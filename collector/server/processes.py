"""Child processes perf starts: each in its own process group, all ended on exit.

Every server and vegeta process is registered here, so the sweep's `finally`, a Ctrl-C or a
SIGTERM ends them by process group. perf itself killed outright (SIGKILL, the OOM killer)
runs no cleanup, so a reaper ends them instead: a small process started with the first child,
told each group's id by the child itself before it runs any code, that kills every group still
listed when perf's end of its pipe closes. A signal on perf's death alone (PR_SET_PDEATHSIG)
is not enough: it reaches only the direct child, which may ignore SIGTERM (a server whose
start-up blocks the event loop only notes it), and never its workers.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import os
import signal
import subprocess
import sys
import threading
import time

_children: dict[int, subprocess.Popen] = {}
_PR_SET_PDEATHSIG = 1
REAPER_GRACE_S = 2.0  # from SIGTERM to SIGKILL once perf is gone

# Runs in a bare interpreter: "+PGID" lists a group, "-PGID" forgets it; at EOF (perf closed
# it, or died) every listed group gets SIGTERM, then SIGKILL after the grace.
_REAPER = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in perf's terminal is perf's to handle
groups = set()
for line in sys.stdin.buffer:
    try:
        pgid = int(line[1:])
    except ValueError:
        continue
    (groups.add if line[:1] == b"+" else groups.discard)(pgid)
def signal_all(sig):
    left = []
    for pgid in groups:
        try:
            os.killpg(pgid, sig)
            left.append(pgid)
        except (ProcessLookupError, PermissionError):
            pass
    return left
left = signal_all(signal.SIGTERM)
deadline = time.monotonic() + %r
while left and time.monotonic() < deadline:
    time.sleep(0.05)
    left = signal_all(0)
signal_all(signal.SIGKILL)
""" % REAPER_GRACE_S

_reaper: subprocess.Popen | None = None
_reaper_lock = threading.Lock()


def _reaper_fd() -> int | None:
    """The write end of the reaper's pipe, starting the reaper when none runs."""
    global _reaper
    with _reaper_lock:
        if _reaper is None or _reaper.poll() is not None:
            try:
                _reaper = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _REAPER], stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0)
            except OSError:
                _reaper = None  # the explicit stops and PR_SET_PDEATHSIG still apply
                return None
            # A reaper that died is replaced knowing every group still running.
            known = "".join(f"+{pgid}\n" for pgid in list(_children))
            if known:
                try:
                    os.write(_reaper.stdin.fileno(), known.encode())
                except OSError:
                    pass  # gone again: the next spawn tries once more
        return _reaper.stdin.fileno()


def _tell_reaper(text: str) -> None:
    with _reaper_lock:
        reaper = _reaper
        if reaper is None:
            return
        try:
            os.write(reaper.stdin.fileno(), text.encode())
        except OSError:
            pass  # the reaper is gone: the next spawn starts another


def close_reaper() -> None:
    """End the reaper once every group is stopped (or let it stop what is left, within its
    grace), so perf exits with no process of its own behind it."""
    global _reaper
    with _reaper_lock:
        reaper, _reaper = _reaper, None
    if reaper is None:
        return
    try:
        reaper.stdin.close()
    except OSError:
        pass
    try:
        reaper.wait(timeout=REAPER_GRACE_S + 2)
    except subprocess.TimeoutExpired:
        reaper.kill()
        reaper.wait()


atexit.register(close_reaper)


def _in_child(reaper_fd: int | None, parent: int) -> None:
    """After fork, before exec: list this new group with the reaper (a write of a few bytes
    to a pipe is atomic), then ask for SIGTERM when perf dies, and check perf did not die
    before that was asked."""
    if reaper_fd is not None:
        # SIGPIPE is back to its default here (restore_signals): a reaper that died just now
        # must cost this child its registration, not its life.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPIPE})
        try:
            os.write(reaper_fd, b"+%d\n" % os.getpid())
        except OSError:
            signal.sigtimedwait({signal.SIGPIPE}, 0)  # the explicit stops and the death signal remain
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        return  # not Linux: the reaper and the explicit stops in the sweep's finally apply
    if os.getppid() != parent:
        os._exit(1)  # perf died before the signal was armed


def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """Start a process as the leader of a new process group and remember it."""
    setup = functools.partial(_in_child, _reaper_fd(), os.getpid())
    proc = subprocess.Popen(args, process_group=0, preexec_fn=setup, **kwargs)
    _children[proc.pid] = proc
    return proc


def spawn_in_group(args: list[str], leader: subprocess.Popen, **kwargs) -> subprocess.Popen:
    """Start a process inside an existing group (a pipeline's second half), which the
    reaper already knows."""
    setup = functools.partial(_die_with_parent, os.getpid())
    proc = subprocess.Popen(args, process_group=leader.pid, preexec_fn=setup, **kwargs)
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
        if _group_alive(pgid):
            return  # still listed: the reaper tries again when perf ends
    _children.pop(proc.pid, None)
    # Forgotten only once empty: a group id is a pid, which the system may give to another
    # process once this group is gone.
    _tell_reaper(f"-{pgid}\n")


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
    close_reaper()
