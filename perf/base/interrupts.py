"""Ctrl-C and SIGTERM: the first one stops perf, any more are noted and let cleanup finish.

The first signal raises KeyboardInterrupt in the main thread (for SIGTERM too), so one code
path stops a sweep whichever arrived. Later signals never raise: a second Ctrl-C must not
cut the cleanup short (a server left running, a scratch folder left in /tmp). Code that
must not be cut in half (a spool entry being made durable, the cleanup itself) runs `held()`:
a first signal arriving inside it is raised by `raise_pending()` afterwards.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)

_first: int | None = None  # the signal that stops this process
_raised = False  # its KeyboardInterrupt has been raised
_holds = 0


def _handler(signum, frame) -> None:
    global _first, _raised
    if _first is not None:
        return  # already stopping: let the cleanup finish
    _first = signum
    if _holds == 0:
        _raised = True
        raise KeyboardInterrupt


def install() -> dict:
    """Take SIGINT and SIGTERM (main thread only); the handlers they had, for `restore`.
    Idempotent: under the CLI, which takes them first, a sweep's install changes nothing."""
    global _first, _raised
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    if any(handler is not _handler for handler in previous.values()):
        _first, _raised = None, False  # a new owner: no signal received yet
    for sig in SIGNALS:
        signal.signal(sig, _handler)
    return previous


def ignore() -> None:
    """perf is exiting: a signal now must not kill it on the way out (Python puts the default
    handlers back while it shuts down, and a late Ctrl-C would end it as "killed by SIGINT"
    instead of with its exit status)."""
    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


def restore(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def received() -> int | None:
    """The signal that asked this process to stop, if any."""
    return _first


def stopped_query(exc: BaseException) -> bool:
    """True when `exc` is DuckDB giving up a query because this process was asked to stop.

    DuckDB checks for Python signals while a query runs: our handler's KeyboardInterrupt
    becomes DuckDB's own error ("Query interrupted", a RuntimeError, or an InterruptException),
    which a caller may have wrapped in a PerfError (or which a cleanup's own error followed).
    Only with a signal really received, and only those errors (or the KeyboardInterrupt
    itself) anywhere in the chain: any other error stays what it is.
    """
    if _first is None:
        return False
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, KeyboardInterrupt):
            return True
        from_duckdb = isinstance(exc, RuntimeError) or type(exc).__name__ == "InterruptException"
        if from_duckdb and "interrupted" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def exit_code() -> int:
    """128 + the signal, as a shell reports a process it stopped: 130 for SIGINT, 143 for SIGTERM.
    A KeyboardInterrupt that came without our handler (Python's own SIGINT) counts as SIGINT."""
    return 128 + int(_first or signal.SIGINT)


@contextmanager
def held() -> Iterator[None]:
    """Signals arriving inside wait until it is over (then `raise_pending` raises them)."""
    global _holds
    _holds += 1
    try:
        yield
    finally:
        _holds -= 1


def raise_pending() -> None:
    """Raise the KeyboardInterrupt of a signal that arrived while held."""
    global _raised
    if _first is not None and not _raised and _holds == 0:
        _raised = True
        raise KeyboardInterrupt
