"""One vegeta attack: `vegeta attack | vegeta encode --to csv | results filter`, sampled while
it runs (the filter: collector/load/results_filter.py)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from perf.collector.server import processes
from perf.collector.load.results_filter import FilterThread
from perf.collector.load.sampler import Sample, TreeSampler
from perf.collector.load.target_feed import TargetFeed
from perf.collector.settings.secrets import Masker
from perf.base.errors import PerfError


@dataclass
class AttackResult:
    csv_path: Path
    samples: list[Sample]
    started_at: datetime
    finished_at: datetime
    results: int = 0  # written to csv_path


def rate_flag(rate: float) -> str:
    """vegeta wants an integer frequency per period: 12.5/s becomes 12500/1000s. Never 0 per
    period, which vegeta reads as "as fast as possible": a rate that whole requests per 1000 s
    would miss by more than 0.1% becomes one request per its interval in ns (0.0126/s is
    1/79365079365ns)."""
    if float(rate).is_integer():
        return f"{int(rate)}/1s"
    per_1000s = round(rate * 1000)
    if per_1000s >= 1 and abs(per_1000s - rate * 1000) <= 0.001 * rate * 1000:
        return f"{per_1000s}/1000s"
    return f"1/{round(1e9 / rate)}ns"


def attack_args(vegeta: Path, targets: Path, mode: str, load: float, duration_s: float,
                timeout_s: float, body: Path | None = None) -> list[str]:
    # -redirects=-1 (vegeta's NoFollow): a 3xx is recorded with its own status and never
    # followed, so load and the --header secrets never go where an app points (another host).
    # Not 0: Go's client then returns an error instead of the answer, and the status is lost
    # (code 0).
    args = [str(vegeta), "attack", "-format=json", f"-targets={targets}",
            f"-duration={duration_s:g}s", f"-timeout={timeout_s:g}s", "-redirects=-1"]
    if body is not None:
        # A large body goes by file: vegeta reads it once and sends it with every target that
        # carries none, instead of a base64 copy of it on each line of the targets file.
        args.append(f"-body={body}")
    if mode == "concurrency":
        # Closed loop: N workers, each sending its next request when the last one answered.
        n = int(load)
        args += ["-rate=0", f"-max-workers={n}", f"-workers={n}"]
    else:
        args += [f"-rate={rate_flag(load)}"]
    return args


def run_attack(vegeta: Path, targets: Path, out_csv: Path, *, mode: str, load: float,
               duration_s: float, timeout_s: float, server_pid: int | None,
               on_tick: Callable[[float, int, int], None] | None = None,
               body: Path | None = None, masker: Masker | None = None,
               feed: TargetFeed | None = None, success: str | None = None) -> AttackResult:
    """Run one attack to completion; its results land in out_csv (without bodies, `masker`'s
    secrets masked: collector/load/results_filter.py), its samples in the result.

    on_tick(elapsed_s, results, successes) is called about ten times a second, successes by the
    run's `success` rule (perf.store.stats). With a `feed`,
    vegeta reads the targets lazily from it (a login renewed mid-attack: target_feed.py).
    """
    masker = feed.masker if feed is not None else masker
    copier = FilterThread(out_csv, masker, success)  # before vegeta: a file it cannot write fails now
    args = attack_args(vegeta, targets, mode, load, duration_s, timeout_s, body)
    attack = processes.spawn(
        feed.command(args) if feed is not None else args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL,
    )
    if feed is not None:
        feed.start(attack.stdin, mode, load)
    encode = processes.spawn_in_group(
        [str(vegeta), "encode", "--to", "csv"],
        leader=attack, stdin=attack.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    attack.stdout.close()  # encode owns the pipe now; vegeta sees EPIPE if encode dies
    copier.start(encode.stdout)  # closes the pipe if it fails, which ends the pipeline
    started_at = datetime.now(timezone.utc)
    sampler = TreeSampler({"server": server_pid, "loadgen": attack.pid}).start()
    begin = time.monotonic()
    try:
        while attack.poll() is None:
            if on_tick:
                on_tick(time.monotonic() - begin, copier.counts.results, copier.counts.successes)
            try:  # back the moment vegeta ends, not on the next tick
                attack.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
        encode.wait(timeout=60)
    finally:
        samples = sampler.stop()
        if attack.poll() is None or encode.poll() is None:
            processes.stop_group(attack, grace_s=2.0)
            encode.wait(timeout=5)
        else:
            processes.stop_group(attack, grace_s=0.5)
        if feed is not None:  # vegeta is gone: a write the feed was blocked in has failed
            feed.stop()
    finished_at = datetime.now(timezone.utc)
    counts = copier.finish(timeout_s=60)  # its error first: a dead filter makes vegeta fail too
    if attack.returncode != 0 or encode.returncode != 0:
        err = (attack.stderr.read() or b"").decode(errors="replace").strip()
        err = err or (encode.stderr.read() or b"").decode(errors="replace").strip()
        raise PerfError(f"vegeta failed (exit {attack.returncode}/{encode.returncode}): "
                        f"{err.splitlines()[-1] if err else 'no message'}")
    attack.stderr.close()
    encode.stderr.close()
    return AttackResult(out_csv, samples, started_at, finished_at, counts.results)
