"""The layering of perf, as rules over its imports (ARCHITECTURE.md says the same in words).

Every module of the installed packages is read with `ast`, function-level imports included
(a lazy import is still a dependency); imports under `if TYPE_CHECKING:` are left out, since
they exist only for annotations. `broken(modules)` returns the rules a set of modules breaks,
so the test can check the real tree, and that a tree with a violation is caught.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Where each installed package lives in the repository (pyproject's package-dir).
ROOTS = {"perf": REPO / "perf", "perf.collector": REPO / "collector",
         "perf.reporter": REPO / "reporter", "perf.templates": REPO / "templates"}


@dataclass(frozen=True)
class Rule:
    name: str
    importer: str  # a module prefix
    forbidden: tuple[str, ...]  # module prefixes it may not import
    allowed: tuple[str, ...] = ()  # exceptions among the forbidden


RULES = [
    Rule("base is the bottom: it imports nothing of perf", "perf.base",
         ("perf.",), ("perf.base",)),
    Rule("the store layer imports only base", "perf.store", ("perf.",), ("perf.base", "perf.store")),
    Rule("the collector never imports the reporter or the CLI", "perf.collector",
         ("perf.reporter", "perf.cli")),
    Rule("the reporter never imports the collector or the CLI", "perf.reporter",
         ("perf.collector", "perf.cli")),
    Rule("render never queries: no perf.reporter.query, no duckdb", "perf.reporter.render",
         ("perf.reporter.query", "duckdb", "perf.store.database")),
    Rule("compute never imports render or query", "perf.reporter.compute",
         ("perf.reporter.render", "perf.reporter.query", "duckdb")),
    Rule("settings are a leaf of the collector", "perf.collector.settings",
         ("perf.collector.",), ("perf.collector.settings",)),
]


def _module_name(root: str, folder: Path, path: Path) -> str:
    parts = list(path.relative_to(folder).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([root, *parts])


def modules() -> dict[str, Path]:
    out = {}
    for root, folder in ROOTS.items():
        for path in folder.rglob("*.py"):
            name = _module_name(root, folder, path)
            if root == "perf" and name.split(".")[1:2] in (["collector"], ["reporter"], ["templates"]):
                continue
            out[name] = path
    return out


def imports(source: str, module: str) -> set[str]:
    """The modules `source` imports (absolute names), outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix.rstrip(".") or name.startswith(prefix if prefix.endswith(".") else prefix + ".")


def broken(sources: dict[str, str]) -> list[str]:
    """'module imports target: rule' for every import that breaks a rule."""
    out = []
    for module, source in sorted(sources.items()):
        for target in sorted(imports(source, module)):
            for rule in RULES:
                if not _under(module, rule.importer):
                    continue
                if any(_under(target, f) or target == f.rstrip(".") for f in rule.forbidden) and \
                        not any(_under(target, a) for a in rule.allowed):
                    out.append(f"{module} imports {target}: {rule.name}")
    return out
