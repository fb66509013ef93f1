"""`perf doctor` where vegeta is nowhere (PERF_VEGETA pointing nowhere, PATH without it): it says
what to run on this machine to get the vegeta perf pins (tests/system/test_doctor.py runs the real one)."""

from __future__ import annotations

import platform

import pytest
from click.testing import CliRunner

from perf.cli.root import cli


def _doctor(tmp_path, monkeypatch, *, go: bool, system: str, machine: str) -> list[str]:
    path = tmp_path / "bin"
    path.mkdir(exist_ok=True)
    if go:  # found by PATH lookup only, never run
        (path / "go").write_text("#!/bin/sh\n")
        (path / "go").chmod(0o755)
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.setenv("PERF_VEGETA", str(tmp_path / "nowhere"))
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    result = CliRunner().invoke(cli, ["doctor", "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("vegeta"))
    assert lines[start].startswith(f"vegeta    MISSING: vegeta not found at {tmp_path / 'nowhere'} "
                                   "(from PERF_VEGETA); install vegeta v12.13.0")
    return [line.strip() for line in lines[start + 1:start + 4]]


def test_with_go_on_path_it_says_where_go_install_puts_vegeta(tmp_path, monkeypatch):
    assert _doctor(tmp_path, monkeypatch, go=True, system="Linux", machine="x86_64") == [
        "go install github.com/tsenart/vegeta/v12@v12.13.0  # go is on PATH: vegeta lands in "
        "$(go env GOPATH)/bin",
        "or the release binary: https://github.com/tsenart/vegeta/releases/download/v12.13.0/"
        "vegeta_12.13.0_linux_amd64.tar.gz",
        "then put vegeta on PATH, or point PERF_VEGETA (or --vegeta) at it",
    ]


@pytest.mark.parametrize("system, machine, release", [
    ("Darwin", "arm64", "download/v12.13.0/vegeta_12.13.0_darwin_arm64.tar.gz"),
    ("Linux", "aarch64", "download/v12.13.0/vegeta_12.13.0_linux_arm64.tar.gz"),
    ("Windows", "AMD64", "tag/v12.13.0"),  # no archive name perf is sure of: the release's page
])
def test_without_go_the_release_binary_for_this_machine(tmp_path, monkeypatch, system, machine,
                                                        release):
    go, binary, then = _doctor(tmp_path, monkeypatch, go=False, system=system, machine=machine)
    assert go.endswith("# needs Go >= 1.22")
    assert binary == f"or the release binary: https://github.com/tsenart/vegeta/releases/{release}"
    assert "PERF_VEGETA" in then
