"""vegeta's CSV results -> the results file perf keeps (scratch folder, spool, store).

`vegeta encode --to csv` writes every response body (base64) and every response's headers
into its record: a 2.5 MB answer makes a 3.3 MB line, longer than DuckDB reads (read_csv's
max_line_size), and perf stores neither. ResultsFilter copies the records with both emptied,
except one body per failing status code (outside 200-399): the first that is not empty, with
the secrets perf sent masked, cut to BODY_SAMPLE_BYTES. That is the error sample the store
keeps (collector/storage/attacks.py insert_error_samples), so bodies never reach the file at all.
The secrets are masked in every record's error string and URL too (a secret query parameter
would be in every row).

Not vegeta's own -max-body: it makes bytes_in the length it kept, and bytes_in is stored.

The same filter makes every results file perf stores: each attack of `perf collect` (a
thread reading `vegeta encode`, whose counts feed the progress display as results come) and
every file `perf ingest` takes, gob, JSON or CSV. Python's csv module (C) reads and writes
the records (a record without quotes is split at its commas, the common case, faster); fields
are copied as they are, so DuckDB reads exactly what vegeta wrote.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Iterable, Iterator

from perf.collector.storage.scratch import private
from perf.collector.settings.secrets import Masker
from perf.base.errors import PerfError, file_error
from perf.store.failures import BODY_SAMPLE_BYTES
from perf.store.stats import is_success

# A body field is one line's worth of base64: a 25 MB answer is a 33 MB field, far above the
# csv module's default limit (131072). It is process-wide; nothing else in perf wants a cap.
csv.field_size_limit(sys.maxsize)

FIELDS = 12  # the columns of `vegeta encode --to csv` (collector/storage/attacks.py VEGETA_CSV_COLUMNS)
_LATENCY, _ERROR, _BODY, _URL, _HEADERS = 2, 5, 6, 10, 11


class BadResults(PerfError):
    """Results that cannot be stored as they are (truncated, foreign, empty): the input is at
    fault, not the store, so trying again cannot help."""


class ResultsFilter:
    """Copies vegeta CSV records into the file perf keeps, counting as it goes.

    `results` and `successes` grow record by record, so another thread may read them while
    an attack runs (the progress display).
    """

    def __init__(self, masker: Masker | None = None, source: str = "vegeta's results",
                 success: str | None = None):
        self.masker = masker or Masker()
        self.success = success  # the run's success rule (perf.store.stats): which codes fail
        self.source = source  # what errors name
        self.results = 0
        self.successes = 0
        self._sampled: set[str] = set()  # failing codes whose body is kept
        self._failing: dict[str, bool] = {}  # status code as written -> failing by the rule

    def copy(self, lines: Iterable[str], out: IO[str]) -> int:
        """Copy every record of `lines` (text, newline='') to `out`; the number copied."""
        try:
            return self._copy(iter(lines), out)
        except csv.Error as exc:
            raise self._bad(self.results + 1, f"not vegeta CSV ({exc})") from None

    def _copy(self, lines: Iterator[str], out: IO[str]) -> int:
        # "\r\n" ends every record so that a field holding a lone "\r" (an error string) is
        # quoted, as vegeta quotes it: csv quotes only the characters of its line terminator,
        # and DuckDB reads an unquoted "\r" as the end of a line.
        write, write_quoted = out.write, csv.writer(out, lineterminator="\r\n").writerow
        masker = self.masker if self.masker else None
        failing, sampled = self._failing, self._sampled
        put_back = _PutBack(lines)
        parse = csv.reader(put_back, strict=True)
        for line in lines:
            quoted = '"' in line
            if quoted:  # a field with a comma, a quote or a line break: the csv module reads it
                put_back.line = line
                row = next(parse)
            else:  # the common record, no field quoted: its commas split it, 3x faster
                row = line.rstrip("\r\n").split(",")
            if len(row) != FIELDS:
                raise self._bad(self.results + 1,
                                f"{len(row)} fields where a vegeta result has {FIELDS}")
            code = row[1]
            fails = failing.get(code)
            if fails is None:
                fails = failing[code] = self._fails(code, self.results + 1)
            if row[_LATENCY][:1] == "-":
                raise self._bad(self.results + 1, f"negative latency ({row[_LATENCY]} ns)")
            if row[_BODY]:
                row[_BODY] = (self._sample(code, row[_BODY], self.results + 1)
                              if fails and code not in sampled else "")
            row[_HEADERS] = ""
            if masker is not None:  # "***" needs no quotes: an unquoted record stays one
                row[_ERROR] = masker.text(row[_ERROR])
                row[_URL] = masker.text(row[_URL])
            if quoted:
                write_quoted(row)
            else:
                write(",".join(row))
                write("\r\n")
            self.results += 1
            self.successes += not fails
        return self.results

    def _fails(self, code: str, index: int) -> bool:
        try:
            return not is_success(int(code), self.success)
        except ValueError:
            raise self._bad(index, f"status code {code[:20]!r} is not a number") from None

    def _sample(self, code: str, body: str, index: int) -> str:
        """The error sample of a failing code: the body masked, then cut (masking first, so
        a secret across the cut is never half kept)."""
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise self._bad(index, "the response body is not base64") from None
        self._sampled.add(code)
        return base64.b64encode(self.masker.bytes(data)[:BODY_SAMPLE_BYTES]).decode()

    def _bad(self, index: int, what: str) -> BadResults:
        """One line naming the file and the result (1-based) that is not a vegeta result."""
        return BadResults(f"{self.source}: result {index}: {what}")


class _PutBack:
    """The input lines with one put back in front: the csv reader parses a quoted record from
    its first line (already read) on, and takes the lines it continues on from the input."""

    def __init__(self, lines: Iterator[str]):
        self.lines = lines
        self.line: str | None = None

    def __iter__(self) -> "_PutBack":
        return self

    def __next__(self) -> str:
        line, self.line = self.line, None
        return line if line is not None else next(self.lines)


def text_reader(stream: IO[bytes]) -> io.TextIOWrapper:
    """vegeta's output as the csv module reads it: bytes that are not UTF-8 (an odd URL, an
    error string) pass through unchanged."""
    return io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")


def open_output(path: Path) -> IO[str]:
    # The user's alone (collector/storage/scratch.py), like everything in a scratch folder.
    return open(path, "w", encoding="utf-8", errors="surrogateescape", newline="",
                opener=private)


def filter_file(source: Path, out: Path, masker: Masker | None = None) -> ResultsFilter:
    """A vegeta CSV results file made elsewhere -> the file perf keeps."""
    kept = ResultsFilter(masker, str(source))
    with open(source, "rb") as raw, open_output(out) as fh:
        kept.copy(text_reader(raw), fh)
    return kept


def filter_encoded(vegeta: Path, source: Path, out: Path,
                   masker: Masker | None = None) -> tuple[ResultsFilter, int, str]:
    """Any vegeta results file (gob, JSON, CSV) through `vegeta encode --to csv` -> the file
    perf keeps: (the filter, encode's exit status, its stderr)."""
    kept = ResultsFilter(masker, str(source))
    with open(out.with_suffix(".stderr"), "w+b") as err:
        proc = subprocess.Popen([str(vegeta), "encode", "--to", "csv", str(source)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        try:
            with open_output(out) as fh:
                kept.copy(text_reader(proc.stdout), fh)
        finally:
            proc.stdout.close()  # a filter that stopped early ends encode (EPIPE)
            returncode = proc.wait()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    out.with_suffix(".stderr").unlink(missing_ok=True)
    return kept, returncode, stderr


class FilterThread:
    """The filter run on a thread over a pipe (an attack's `vegeta encode` output), so the
    attack's counts are live. An error (a record that is not a result, a full disk) is kept
    for `finish`, and the pipe is closed so the pipeline ends instead of blocking."""

    def __init__(self, out: Path, masker: Masker | None = None, success: str | None = None):
        self.counts = ResultsFilter(masker, success=success)
        self.error: BaseException | None = None
        self._out = out
        try:  # an earlier attack's file is gone before anything counts
            self._fh = open_output(out)
        except OSError as exc:
            raise file_error(f"cannot write {out}", exc) from None
        self._thread: threading.Thread | None = None

    def start(self, stream: IO[bytes]) -> None:
        self._thread = threading.Thread(target=self._run, args=(stream,),
                                        name="perf-results-filter", daemon=True)
        self._thread.start()

    def _run(self, stream: IO[bytes]) -> None:
        try:
            with self._fh:
                self.counts.copy(text_reader(stream), self._fh)
        except BaseException as exc:  # handed to the caller of finish()
            self.error = exc
        finally:
            stream.close()

    def finish(self, timeout_s: float) -> ResultsFilter:
        """Wait for the last record; raise what went wrong."""
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise PerfError(f"writing {self._out} did not finish within {timeout_s:g}s of vegeta")
        if isinstance(self.error, OSError):
            raise file_error(f"cannot write {self._out}", self.error)
        if self.error is not None:
            raise self.error
        return self.counts
