"""Progress of a sweep: a live rich display on a terminal, plain lines otherwise (CI logs)."""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60:d}:{seconds % 60:02d}"


class PlainProgress:
    """One line per event; nothing redrawn, so logs stay readable."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.total_attacks = 0
        self.planned_s = 0.0
        self.done_s = 0.0
        self.started = time.monotonic()
        self.index = 0

    def write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def start(self, total_attacks: int, planned_s: float) -> None:
        self.total_attacks, self.planned_s = total_attacks, planned_s
        self.started = time.monotonic()
        self.write(f"sweep: {total_attacks} attacks, {_clock(planned_s)} of load planned")

    def message(self, text: str) -> None:
        self.write(text)

    def attack_started(self, index: int, title: str, duration_s: float) -> None:
        self.index = index
        self.current_s = duration_s
        self.write(f"[{index}/{self.total_attacks}] {title} ...")

    def tick(self, elapsed_s: float, results: int = 0, successes: int = 0) -> None:
        pass

    def attack_done(self, summary: str, duration_s: float) -> None:
        self.done_s += duration_s
        elapsed = time.monotonic() - self.started
        remaining = max(0.0, self.planned_s - self.done_s)
        self.write(f"[{self.index}/{self.total_attacks}] {summary} "
                   f"(elapsed {_clock(elapsed)}, ~{_clock(remaining)} of load left)")

    def close(self) -> None:
        pass


class RichProgress(PlainProgress):
    """A live bar for the sweep and one for the current attack; events print above them."""

    def __init__(self):
        super().__init__()
        from rich.console import Console
        from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.console = Console(stderr=True)
        self.bars = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            TextColumn("{task.fields[live]}"), console=self.console, transient=True,
        )
        self.sweep_task = None
        self.attack_task = None

    def write(self, line: str) -> None:
        self.bars.console.print(line, markup=False, highlight=False)

    def start(self, total_attacks: int, planned_s: float) -> None:
        super().start(total_attacks, planned_s)
        self.bars.start()
        self.sweep_task = self.bars.add_task("sweep", total=max(planned_s, 0.001), live="")

    def attack_started(self, index: int, title: str, duration_s: float) -> None:
        self.index = index
        self.current_s = duration_s
        if self.attack_task is not None:
            self.bars.remove_task(self.attack_task)
        self.attack_task = self.bars.add_task(f"[{index}/{self.total_attacks}] {title}",
                                              total=duration_s, live="")

    def tick(self, elapsed_s: float, results: int = 0, successes: int = 0) -> None:
        if self.attack_task is not None:
            rate = successes / elapsed_s if elapsed_s > 0.2 else 0.0
            self.bars.update(self.attack_task, completed=min(elapsed_s, self.current_s),
                             live=f"{results} results, {rate:.1f} ok/s")
            self.bars.update(self.sweep_task, completed=self.done_s + min(elapsed_s, self.current_s))

    def attack_done(self, summary: str, duration_s: float) -> None:
        self.done_s += duration_s
        self.bars.update(self.sweep_task, completed=self.done_s)
        self.write(f"[{self.index}/{self.total_attacks}] {summary}")

    def close(self) -> None:
        self.bars.stop()


def make_progress(quiet: bool = False):
    if quiet:
        return PlainProgress(stream=open("/dev/null", "w"))
    return RichProgress() if sys.stderr.isatty() else PlainProgress()
