"""The `perf` command: a thin click root (perf/cli/root.py) over one module per command
(perf/cli/commands/), the options they share and the one way they write their output."""


def main() -> None:
    # The root (click and every shared option) is imported when perf runs, not when this
    # package is imported for one of its modules.
    from perf.cli.root import main as run

    run()
