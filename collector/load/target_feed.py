"""Targets fed to vegeta while it attacks, for a login whose token dies before the attack ends.

vegeta reads a targets file whole before it starts (its tokens are the ones written then);
with `-lazy` it reads its targets from stdin one at a time, as each request is due. A
TargetFeed writes the attack's targets there from a thread: paced at the attack's rate with a
small lead (a target is always waiting when vegeta wants one, so no request waits for perf:
vegeta's latency clock runs while it reads its target), and logs in again every half of the
token's life, writing the new credentials into the targets that follow. A closed-loop attack
(no rate to pace at) is fed as fast as vegeta reads, through a pipe shrunk to one page, so
only a few targets ever wait with an old token.

Used only when needed (a token that would not outlive the attack): a file-fed attack is the
reference, and the lazy feed was measured against it (tests/system/test_login_refresh.py).
"""

from __future__ import annotations

import fcntl
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable

from perf.collector.settings.secrets import Masker

LEAD_S = 0.5  # how far ahead of its send time a target is written (at most a quarter of a token's life)
F_SETPIPE_SZ = 1031  # Linux: set a pipe's capacity (rounded up to a page)


@dataclass(frozen=True)
class Credentials:
    """What one login gave: the headers to send, when they stop working (time.time(), None
    when the app does not say), and the secrets to mask."""
    headers: dict[str, str]
    expires_at: float | None
    secrets: tuple[str, ...]


class GrowingMasker(Masker):
    """A Masker that learns the tokens of logins made while an attack runs (its results are
    masked as they stream in, so a new token joins before any request carries it)."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets = tuple(secrets)
        super().__init__(self._secrets)

    def add(self, secrets: Iterable[str]) -> None:
        new = tuple(s for s in secrets if s not in self._secrets)
        if new:
            self._secrets += new
            super().__init__(self._secrets)  # forms, then their bytes: each swapped whole


class TargetFeed:
    """The targets of `targets` (vegeta JSON lines), cycled, each sent with the credentials of
    the latest login (`log_in()`, called now and every half of a token's life)."""

    def __init__(self, targets: Path, log_in: Callable[[], Credentials], masker: Masker | None):
        self._log_in = log_in
        self._lines = [json.loads(line) for line in targets.read_text().splitlines() if line.strip()]
        self.masker = GrowingMasker(masker.forms if masker else ())
        self.logins = 0
        self.refused: str | None = None  # why a login during the attack failed (the first)
        self._credentials = self._fresh()  # before vegeta starts: its first read never waits
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0

    def _fresh(self) -> Credentials:
        credentials = self._log_in()
        self.masker.add(credentials.secrets)  # before any target carries the token
        self.logins += 1
        return credentials

    def command(self, args: list[str]) -> list[str]:
        """vegeta's attack arguments with the targets read lazily from stdin."""
        return [a for a in args if not a.startswith("-targets=")] + ["-lazy"]

    def start(self, pipe: IO[bytes], mode: str, load: float) -> None:
        if mode != "rate":
            try:
                fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, 4096)
            except OSError:
                pass  # not Linux: the default capacity, a larger lead
        self._thread = threading.Thread(target=self._run, args=(pipe, mode, load),
                                        name="perf-target-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _next_login(self, credentials: Credentials, now: float) -> float | None:
        """time.monotonic() of the next login: half the token's life from now."""
        if credentials.expires_at is None:
            return None
        return time.monotonic() + max(0.05, (credentials.expires_at - now) / 2)

    def _run(self, pipe: IO[bytes], mode: str, load: float) -> None:
        credentials = self._credentials
        life = (credentials.expires_at - time.time()) if credentials.expires_at else None
        lead = LEAD_S if life is None else max(0.0, min(LEAD_S, life / 4))
        next_login = self._next_login(credentials, time.time())
        begin = time.monotonic()
        paced = mode == "rate" and load > 0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if next_login is not None and now >= next_login:
                    try:
                        credentials = self._fresh()
                    except Exception as exc:  # the app refused or died: keep the old token
                        self.refused = self.refused or str(exc)
                        next_login = now + 0.5
                    else:
                        next_login = self._next_login(credentials, time.time())
                if paced:
                    due = begin + self.written / load - lead
                    wait = due - time.monotonic()
                    if wait > 0:
                        if self._stop.wait(min(wait, 0.05)):
                            break
                        continue
                target = self._lines[self.written % len(self._lines)]
                target = {**target, "header": {**target.get("header", {}),
                                               **{k: [v] for k, v in credentials.headers.items()}}}
                pipe.write(json.dumps(target).encode() + b"\n")
                pipe.flush()
                self.written += 1
        except (BrokenPipeError, ValueError, OSError):
            pass  # vegeta ended (its duration is over): the feed ends with it
        finally:
            try:
                pipe.close()
            except OSError:
                pass
