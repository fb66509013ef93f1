"""The one error type for expected failures: the CLI prints its message on one line and exits 1."""


class PerfError(Exception):
    """A failure the user can act on (bad option, missing tool, unreachable server, ...)."""
