"""How a run is named on the command line (`perf report --run`, `perf compare BASE CANDIDATE`):
`latest`, `latest~N`, a run id or a unique prefix of one, else a label. The reporter resolves
references with this rule (reporter/query/attacks.py); the collector refuses a label the rule would
read as something else, since the run it names could then never be reached by its label.
"""

from __future__ import annotations

import re
from typing import Iterable

from perf.base.errors import PerfError

LATEST = re.compile(r"^latest(?:~(\d+))?$")


def reads_as_id(ref: str, run_id: str) -> bool:
    """Does `ref` name this run by its id (the whole id, or a prefix of it)?"""
    return run_id.startswith(ref)


def check_label(label: str, where: str, run_ids: Iterable[str] = ()) -> None:
    """A PerfError when a reference to `label` would mean another run: `latest` or
    `latest~N`, or the id (or a prefix of the id) of a run in `run_ids`."""
    ref = label.strip()
    latest = LATEST.match(ref)
    if latest:
        back = int(latest.group(1) or 0)
        meant = f"the run {back} before the latest" if back else "the latest run"
        raise PerfError(f"bad {where} {label!r}: `--run {ref}` means {meant}, never this "
                        f"label; pick another")
    for run_id in run_ids:
        if reads_as_id(ref, run_id):
            what = "the id" if ref == run_id else "a prefix of the id"
            raise PerfError(f"bad {where} {label!r}: it is {what} of run {run_id}, so `--run "
                            f"{ref}` would name that run, not this label; pick another")
