"""Scratch folders: a live perf's folder is never removed as stale, whatever the clocks say; a
dead perf's is (collector/storage/scratch.py)."""

from __future__ import annotations

import os
import sys
import tempfile

import psutil
import pytest

from perf.collector.storage import scratch
from perf.collector.storage.run_rows import process_alive


@pytest.fixture
def tmp_root(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield tmp_path
    for path in list(scratch._held):
        scratch.remove(path)


def _let_go(path) -> None:
    """What the kernel does when the owner dies: its lock is gone, its folder stays."""
    os.close(scratch._held.pop(path))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux derives start times from btime")
def test_a_stepped_clock_does_not_make_a_live_perfs_folder_stale(tmp_root, monkeypatch):
    """Seen in CI: the wall clock was stepped while tests ran, so a second perf computed this
    perf's start time a few seconds off, took it for gone and removed its results file
    mid-sweep ("vegeta returned no results")."""
    live = scratch.make("collect")
    recorded_s = int(live.name.split("-")[3]) / 1000
    assert process_alive(os.getpid(), recorded_s)
    boot_time = psutil._pslinux.boot_time
    monkeypatch.setattr(psutil._pslinux, "boot_time", lambda: boot_time() + 5)  # clock stepped 5 s
    assert not process_alive(os.getpid(), recorded_s)  # the start time alone now says "gone"

    assert scratch.remove_stale() == []
    assert live.is_dir()


def test_a_folder_whose_lock_is_free_goes_only_once_its_owner_is_gone(tmp_root, monkeypatch):
    folder = scratch.make("ingest")
    (folder / "results.csv").write_text("1\n")
    _let_go(folder)
    # Free, but the owner by pid and start time lives: the instant before its lock, or an
    # older perf that took none.
    assert scratch.remove_stale() == [] and folder.is_dir()

    monkeypatch.setattr(scratch, "process_alive", lambda pid, started: False)
    assert scratch.remove_stale() == [folder]
    assert not folder.exists()


def test_remove_lets_go_of_the_lock_and_other_names_are_left_alone(tmp_root, monkeypatch):
    monkeypatch.setattr(scratch, "process_alive", lambda pid, started: False)
    older = tmp_root / "perf-collect-q1w2e3r4"  # an older perf's name: no owner to prove gone
    older.mkdir()
    folder = scratch.make("collect")
    scratch.remove(folder)
    assert not folder.exists() and folder not in scratch._held
    assert scratch.remove_stale() == [] and older.is_dir()
