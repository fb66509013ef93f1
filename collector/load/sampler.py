"""CPU and memory of whole process trees (server master + workers; vegeta), sampled in a thread.

CPU % comes from cpu_times deltas per process between ticks, summed over the tree (100 = one
core): exact for processes alive across a tick, and a worker spawned mid-attack counts from
its start. RSS is summed over the tree.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil

INTERVAL_S = 0.25  # DESIGN.md: every <= 0.5 s


@dataclass(frozen=True)
class Sample:
    ts: int  # unix ns
    process: str  # server | loadgen
    cpu_percent: float  # summed over the tree, 100 = one core
    rss_bytes: int  # summed over the tree


class TreeSampler:
    def __init__(self, roots: dict[str, int | None], interval_s: float = INTERVAL_S):
        self.roots = {label: pid for label, pid in roots.items() if pid}
        self.interval_s = interval_s
        self.samples: list[Sample] = []
        self._prev: dict[str, dict[int, float]] = {label: {} for label in self.roots}
        self._prev_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="perf-sampler", daemon=True)

    def _read(self, pid: int) -> tuple[dict[int, float], int, dict[int, float]]:
        """(cpu seconds per pid, summed rss, create time per pid) of a tree."""
        cpu, created, rss = {}, {}, 0
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return cpu, rss, created
        for proc in procs:
            try:
                with proc.oneshot():
                    t = proc.cpu_times()
                    cpu[proc.pid] = t.user + t.system
                    rss += proc.memory_info().rss
                    created[proc.pid] = proc.create_time()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return cpu, rss, created

    def tick(self, emit: bool = True) -> None:
        now = time.monotonic()
        wall = now - self._prev_at
        ts = time.time_ns()
        for label, pid in self.roots.items():
            cpu, rss, created = self._read(pid)
            prev = self._prev[label]
            if emit and wall > 0:
                used = 0.0
                for p, seconds in cpu.items():
                    if p in prev:
                        used += seconds - prev[p]
                    elif created[p] >= time.time() - wall:
                        used += seconds  # born since the last tick: all its CPU is new
                self.samples.append(Sample(ts, label, max(0.0, used / wall * 100.0), rss))
            self._prev[label] = cpu
        self._prev_at = now

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.tick()

    def start(self) -> "TreeSampler":
        self.tick(emit=False)  # prime: the first sample covers the first interval only
        self._thread.start()
        return self

    def stop(self) -> list[Sample]:
        self._stop.set()
        self._thread.join(timeout=2)
        if time.monotonic() - self._prev_at >= self.interval_s / 2:
            self.tick()
        return self.samples
