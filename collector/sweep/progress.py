"""Progress of a sweep: a live rich display on a terminal, plain lines otherwise (CI logs).

Every line goes through terminal_text: endpoint names, skip reasons and server log lines are
the app's text, and an escape sequence in a route path must not recolour or retitle the
user's terminal."""

from __future__ import annotations

import sys
import time

from perf.base.terminal import terminal_text
from perf.base.text import clock, plural
from perf.collector.sweep.progress_line import live_text, progress_line


class PlainProgress:
    """One line per event; nothing redrawn, so logs stay readable."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.total_attacks = 0
        self.planned_s = 0.0
        self.done_s = 0.0
        self.current_s = 0.0
        self.started = time.monotonic()
        self.index = 0

    def write(self, line: str) -> None:
        print(terminal_text(line), file=self.stream, flush=True)

    def start(self, total_attacks: int, planned_s: float) -> None:
        self.total_attacks, self.planned_s = total_attacks, planned_s
        self.started = time.monotonic()
        self.write(f"sweep: {plural(total_attacks, 'attack')}, {clock(planned_s)} of load planned")

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
                   f"(elapsed {clock(elapsed)}, ~{clock(remaining)} of load left)")

    def close(self) -> None:
        pass


class RichProgress(PlainProgress):
    """A live bar for the sweep and one for the current attack; events print above them."""

    def __init__(self, console=None):
        super().__init__()
        from rich.cells import cell_len
        from rich.console import Console
        from rich.progress import Progress, ProgressColumn
        from rich.text import Text

        progress = self

        class Line(ProgressColumn):
            # The whole line is one column, fitted to the width at each redraw (the terminal
            # may have been resized); both tasks count seconds of load.
            def render(self, task):
                titles = [t.description for t in progress.bars.tasks]
                pieces = progress_line(
                    progress.console.width, task.description, task.percentage / 100,
                    task.elapsed or 0.0, (task.total or 0) - task.completed,
                    task.fields.get("live", ""), title_cells=max(map(cell_len, titles)))
                text = Text(no_wrap=True, overflow="crop")
                for piece, style in pieces:
                    text.append(piece, style=style)
                return text

        self.console = console or Console(stderr=True)
        self.bars = Progress(Line(), console=self.console, transient=True)
        self.sweep_task = None
        self.attack_task = None

    def write(self, line: str) -> None:
        self.bars.console.print(terminal_text(line), markup=False, highlight=False)

    def start(self, total_attacks: int, planned_s: float) -> None:
        super().start(total_attacks, planned_s)
        self.bars.start()
        self.sweep_task = self.bars.add_task("sweep", total=max(planned_s, 0.001), live="")

    def attack_started(self, index: int, title: str, duration_s: float) -> None:
        self.index = index
        self.current_s = duration_s
        if self.attack_task is not None:
            self.bars.remove_task(self.attack_task)
        self.attack_task = self.bars.add_task(f"[{index}/{self.total_attacks}] "
                                              f"{terminal_text(title)}",
                                              total=duration_s, live=live_text(0.0, 0, 0))

    def tick(self, elapsed_s: float, results: int = 0, successes: int = 0) -> None:
        if self.attack_task is not None:
            self.bars.update(self.attack_task, completed=min(elapsed_s, self.current_s),
                             live=live_text(elapsed_s, results, successes))
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
