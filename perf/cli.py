"""The `perf` command: a thin click root; each command lives in perf/commands/."""

from __future__ import annotations

import sys

import click

from perf import __version__
from perf.errors import PerfError


class PerfGroup(click.Group):
    """Turns PerfError into one line on stderr and exit 1; lists commands in a stable order."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PerfError as exc:
            click.echo(f"perf: error: {exc}", err=True)
            sys.exit(1)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=PerfGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perf")
def cli() -> None:
    """perf: load-test FastAPI endpoints with vegeta, keep every run in DuckDB,
    and report or compare them.

    \b
    Quick start:
      perf doctor                              # what perf will use
      perf collect --quick                     # a one-minute sweep of target_app
      perf report                              # tables of the latest run
      perf report --output results/report.html # the interactive dashboard
    """


def _register() -> None:
    from perf.commands import doctor

    cli.add_command(doctor.doctor)
    for name in ("collect", "ingest", "runs", "report", "compare"):
        try:
            module = __import__(f"perf.commands.{name}", fromlist=[name])
        except ModuleNotFoundError as exc:
            if exc.name != f"perf.commands.{name}":
                raise
            continue
        cli.add_command(getattr(module, name))


_register()


def main() -> None:
    cli(prog_name="perf")


if __name__ == "__main__":
    main()
