"""What perf hands its user: the output format, chosen and checked one way by every command, and
output files, written one way (JSON text itself: perf/base/jsontext.py).

An output file is replaced whole or not at all: the text goes to a temporary file beside it,
which is renamed over it only once written, so a full disk or an interrupt leaves the old
file as it was and no half-written one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from perf.base.errors import PerfError, file_error, make_folder

# --output's extension -> the format written when --format is not given.
EXTENSIONS = {".txt": "text", ".json": "json", ".csv": "csv", ".md": "markdown",
              ".markdown": "markdown", ".html": "html", ".htm": "html"}


def check_format(fmt: str, formats: tuple[str, ...], command: str = "") -> str:
    """`fmt` if the command writes it; else a one-line error naming those it does."""
    if fmt not in formats:
        where = f" for {command}" if command else ""
        raise PerfError(f"unknown format {fmt!r}{where}; known: {', '.join(formats)}")
    return fmt


def pick_format(fmt: str | None, output: str | None, formats: tuple[str, ...]) -> str:
    """--format wins; otherwise the --output extension; otherwise text. `formats`: what the
    command writes."""
    if fmt:
        return check_format(fmt, formats)
    if output:
        suffix = Path(output).suffix.lower()
        known = [ext for ext, name in EXTENSIONS.items() if name in formats]
        if suffix not in known:
            raise PerfError(
                f"cannot tell the format of {output} from its extension; "
                f"use --format ({', '.join(formats)}) or one of {', '.join(known)}"
            )
        return EXTENSIONS[suffix]
    return "text"


def write_output(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to --output `path` atomically (see above) and return the path written;
    a one-line PerfError on failure.

    A path that is not a regular file (/dev/stdout, a named pipe) is written as it is: it
    cannot be replaced, and holds no old content to keep.
    """
    path = Path(path)
    make_folder(path.parent, "--output")
    target = Path(os.path.realpath(path))  # a symlink's file is replaced, not the link
    try:
        if target.exists() and not target.is_file():
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            _replace(target, text.encode("utf-8"))
    except OSError as exc:
        raise file_error(f"cannot write --output {path}", exc) from None
    return path


def _replace(target: Path, data: bytes) -> None:
    temp = target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
    # 0o666 less the umask, as a plain open() would create it; an existing file keeps its mode.
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            if target.exists():
                os.fchmod(fd, mode)  # the umask must not narrow a file the user already has
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        try:
            temp.unlink()
        except OSError:
            pass
        raise

