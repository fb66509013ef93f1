"""The architecture holds (issue 17): the layering of ARCHITECTURE.md, checked over every import
of the installed packages (tests/architecture.py), and the packages pyproject installs are the
folders on disk. A rule that could never fail would check nothing: a tree with one violation
put in on purpose must be caught."""

from __future__ import annotations

import subprocess
import tomllib

import pytest

from tests.architecture import REPO, ROOTS, broken, imports, modules


def _sources() -> dict[str, str]:
    return {name: path.read_text() for name, path in modules().items()}


def test_every_import_keeps_the_layering():
    assert broken(_sources()) == []


def test_a_violation_put_in_on_purpose_is_caught_with_its_rule():
    for module, line, rule in [
        ("perf.store.stats", "from perf.cli.output import write_output", "the store layer imports only base"),
        ("perf.reporter.render.text", "import duckdb", "render never queries"),
        ("perf.reporter.compute.tables", "from perf.reporter.render import figures",
         "compute never imports render"),
        ("perf.collector.settings.settings", "def f():\n    from perf.collector.load import vegeta",
         "settings are a leaf"),
        ("perf.collector.sweep.sweep", "from perf.reporter import report", "the collector never imports"),
        ("perf.base.text", "from ..store import metrics", "base is the bottom"),
    ]:
        sources = _sources()
        sources[module] += "\n" + line + "\n"
        found = broken(sources)
        assert found and all(rule in f for f in found), (module, found)


def test_imports_for_annotations_only_are_not_dependencies():
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import duckdb\n"
    assert "duckdb" not in imports(source, "perf.reporter.render.text")


def test_the_installed_packages_are_the_folders_on_disk():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = set()
    for root, folder in ROOTS.items():
        for init in folder.rglob("__init__.py"):
            parts = init.parent.relative_to(folder).parts
            name = ".".join([root, *parts])
            if root == "perf" and parts[:1] in (("collector",), ("reporter",), ("templates",)):
                continue
            on_disk.add(name)
    assert set(config["packages"]) == on_disk
    assert config["package-dir"] == {"perf": "perf", "perf.collector": "collector",
                                     "perf.reporter": "reporter", "perf.templates": "templates"}


def test_the_in_process_tier_refuses_to_start_a_process():
    """tests/unit stays fast because nothing in it can start a server, vegeta or perf: the tier's
    conftest refuses, naming the test and where it belongs."""
    with pytest.raises(AssertionError, match=r"test_the_in_process_tier_refuses.*starts a process "
                                             r"\(\['true'\]\).*belongs in tests/system/"):
        subprocess.run(["true"], check=True)
