"""requirements.lock is what `make install` installs: it must hold every package pyproject.toml
asks for, at a version its range allows, hash-pinned, for every Python perf supports. A
dependency added to pyproject.toml without `make lock` fails here, not on someone's machine."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.helpers import REPO

PYTHONS = ("3.11", "3.12", "3.13")
_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _lock() -> list[tuple[str, Version, Marker | None, list[str]]]:
    """(name, version, marker, hashes) of every entry of the lock."""
    entries = []
    for line in (REPO / "requirements.lock").read_text().splitlines():
        match = _ENTRY.match(line)
        if match:
            name, version, marker = match.groups()
            entries.append((canonicalize_name(name), Version(version),
                            Marker(marker) if marker else None, []))
        elif line.strip().startswith("--hash=sha256:"):
            entries[-1][3].append(line.strip().split(":", 1)[1].rstrip(" \\"))
    return entries


def _pinned(python: str) -> dict[str, Version]:
    env = {"python_version": python, "python_full_version": python + ".0",
           "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
           "implementation_name": "cpython", "platform_python_implementation": "CPython",
           "os_name": "posix", "extra": ""}
    return {name: version for name, version, marker, _ in _lock()
            if marker is None or marker.evaluate(env)}


def _wanted() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = (project["project"]["dependencies"] + project["project"]["optional-dependencies"]["test"]
              + project["build-system"]["requires"])
    return [Requirement(text) for text in listed]


def test_every_entry_is_pinned_with_hashes():
    entries = _lock()
    assert len(entries) > 40
    for name, _, _, hashes in entries:
        assert hashes and all(len(h) == 64 for h in hashes), name


@pytest.mark.parametrize("python", PYTHONS)
def test_the_lock_holds_every_requirement_within_its_range(python):
    pinned = _pinned(python)
    env = {"python_version": python, "python_full_version": python + ".0", "extra": "test"}
    for requirement in _wanted():
        if requirement.marker and not requirement.marker.evaluate(env):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements.lock pins {name}=={pinned[name]}, outside {requirement}: run `make lock`")
