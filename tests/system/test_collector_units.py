"""The collector's pieces that need a real process: the sampler's CPU of a process tree and
the child reaper (the pure pieces are in tests/unit/test_collector_units.py)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from perf.collector.load.sampler import TreeSampler


@pytest.mark.serial  # a spinning child must get a core to itself
def test_sampler_sees_cpu_of_children_in_the_tree():
    # A parent that sleeps and a child that spins: only a tree-wide sum sees the load.
    code = ("import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'while True: pass']); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        time.sleep(0.5)
        sampler = TreeSampler({"server": parent.pid}, interval_s=0.2).start()
        time.sleep(1.2)
        samples = sampler.stop()
    finally:
        import os
        import signal
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
    cpu = [s.cpu_percent for s in samples if s.process == "server"]
    assert len(cpu) >= 4
    assert max(cpu) > 50 and sum(cpu) / len(cpu) > 40  # one spinning core, summed over the tree
    assert all(s.rss_bytes > 0 for s in samples)


def test_a_child_starts_even_when_the_reaper_died_unnoticed(monkeypatch):
    """The child lists its group with the reaper before exec, where SIGPIPE kills: a write to
    a reaper that died (and perf has not yet seen die) must not kill the child instead."""
    from perf.collector.server import processes

    processes._reaper_fd()
    reaper = processes._reaper
    try:
        reaper.kill()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # dead, and not reaped: perf has not looked yet
            with open(f"/proc/{reaper.pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.02)
        monkeypatch.setattr(reaper, "poll", lambda: None)
        child = processes.spawn([sys.executable, "-c", "print('alive')"], stdout=subprocess.PIPE)
        out, _ = child.communicate(timeout=30)
        processes.stop_group(child)
        assert (out, child.returncode) == (b"alive\n", 0)
    finally:
        monkeypatch.undo()
        processes.close_reaper()
