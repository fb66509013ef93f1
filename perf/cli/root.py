"""The `perf` command: a thin click root; each command lives in perf/cli/commands/."""

from __future__ import annotations

import importlib
import keyword
import sys

import click

from perf import __version__
from perf.base import interrupts
from perf.base.errors import PerfError
from perf.base.terminal import terminal_text


class OneLineUsageError(click.UsageError):
    """A mistyped option or command, shown as one line like every other perf error (click's
    own form spends three lines on usage and a hint before the message). Exit code stays 2."""

    def __init__(self, message: str, ctx: click.Context | None, where: str):
        super().__init__(message, ctx)
        self.where = where  # the command whose --help to point at

    def show(self, file=None) -> None:
        click.echo(f"perf: error: {self.message} (see `{self.where} --help`)", err=True, file=file)


def _one_line(exc: click.UsageError, ctx: click.Context | None) -> click.UsageError:
    if isinstance(exc, (OneLineUsageError, click.exceptions.NoArgsIsHelpError)):
        return exc  # bare `perf` shows the help itself
    if exc.ctx is not None:
        where = exc.ctx.command_path
    else:  # some parser errors carry no context: point at the command being started
        where = " ".join(p for p in ("perf", ctx and ctx.invoked_subcommand) if p)
    return OneLineUsageError(exc.format_message(), exc.ctx, where)


def _interrupted() -> None:
    """Ctrl-C or SIGTERM outside a sweep (which says what it kept itself): one line, and the
    exit status a shell gives a process the signal stopped, never click's "Aborted!"."""
    click.echo("perf: interrupted", err=True)
    sys.exit(interrupts.exit_code())


class PerfGroup(click.Group):
    """Turns PerfError (and a file system's OSError) into one line on stderr and exit 1, usage
    errors into one line and exit 2, Ctrl-C and SIGTERM into one line and 130 / 143; lists
    commands in a stable order."""

    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _one_line(exc, None) from None
        except KeyboardInterrupt:
            _interrupted()

    def invoke(self, ctx: click.Context):
        try:
            try:
                return super().invoke(ctx)
            except Exception as exc:
                # A query DuckDB cut short for a Ctrl-C or SIGTERM is that signal: the same
                # one line and exit status, whichever command was reading or writing.
                if interrupts.stopped_query(exc):
                    raise KeyboardInterrupt from exc
                raise
        except PerfError as exc:
            # Messages quote the app (its import error, its server log): one line, no escapes.
            click.echo(f"perf: error: {terminal_text(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            # Expected paths turn these into PerfError with their context; this is the net
            # for the rest (a full disk while writing a report): the real cause, one line.
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"perf: error: {terminal_text(where)}{exc.strerror or exc}", err=True)
            sys.exit(1)
        except click.UsageError as exc:
            raise _one_line(exc, ctx) from None
        except KeyboardInterrupt:
            _interrupted()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        # A command's module is imported when it is run (or listed): `perf runs` need not
        # load the collector, which costs more than the listing itself.
        if name not in self.commands and name in COMMANDS:
            command = _load(name)
            if command is not None:
                self.add_command(command)
        elif name not in self.commands:
            self.list_commands(ctx)  # a mistyped name: click suggests from every command
        return self.commands.get(name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in COMMANDS:
            self.get_command(ctx, name)
        return list(self.commands)


# The commands, in the order --help lists them; each is perf/cli/commands/NAME.py's NAME.
COMMANDS = ("doctor", "collect", "ingest", "runs", "report", "compare", "history", "export", "pack",
            "import", "publish")


def _load(name: str) -> click.Command | None:
    """The command of perf/cli/commands/NAME.py; None when that module does not exist (yet)."""
    attr = f"{name}_" if keyword.iskeyword(name) else name  # `perf import` is import_.py's import_
    try:
        module = importlib.import_module(f"perf.cli.commands.{attr}")
    except ModuleNotFoundError as exc:
        if exc.name != f"perf.cli.commands.{attr}":
            raise
        return None
    return getattr(module, attr)


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
      perf compare                             # the latest run against the one before
    """


def main() -> None:
    interrupts.install()  # the first Ctrl-C / SIGTERM stops perf; more never cut its cleanup short
    try:
        cli(prog_name="perf")
    finally:
        interrupts.ignore()
