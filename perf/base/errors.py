"""The one error type for expected failures: the CLI prints its message on one line and exits 1
(or the error's exit_code)."""

from __future__ import annotations

from pathlib import Path


class PerfError(Exception):
    """A failure the user can act on (bad option, missing tool, unreachable server, ...).

    `exit_code` is 1 unless a command's contract says otherwise: perf compare exits 2 for
    every error, because its 1 means "regression"."""

    def __init__(self, message: str, *, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def file_error(action: str, exc: OSError) -> PerfError:
    """An OSError as one line with its real cause ("Read-only file system", "No space left on
    device"), not its Python class and errno."""
    return PerfError(f"{action}: {exc.strerror or exc}")


def make_folder(folder: Path, what: str) -> None:
    """mkdir -p, failing with one line that names the real obstacle (a file in the way, a
    read-only file system, a missing permission)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
        raise PerfError(f"cannot create {what} folder {folder}: {blocker} is a file") from None
    except OSError as exc:
        raise file_error(f"cannot create {what} folder {folder}", exc) from None
