"""The dashboard's plotly.js: the one home of its pin, and the one way it is fetched.

plotly.js's cartesian partial bundle (scatter, bar, heatmap, ...; a third of the full one) is
pinned by version and by the npm registry's sha512 of its tarball. It is downloaded with urllib
(npm is not needed), checked, and its one file placed as perf's package data (BUNDLE, git-ignored):
by `make install` (`python tools/plotlyjs.py`, which falls back quietly) and by the sdist and wheel
builds (BuildPy and Sdist, pyproject's cmdclass), which fail rather than ship without it: a wheel
without the bundle writes ~2 MB dashboards. Offline, PERF_PLOTLYJS_TARBALL names a copy of the
tarball; it is checked the same way.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.errors import SetupError

PACKAGE = "plotly.js-cartesian-dist-min"
VERSION = "4.1.1"
INTEGRITY = "sha512-o8GrFeusncwBIxbBynRJpY4pkgVB6caM+JLpwrLYbbsO7dZ8FJ+SVN2Fr+L7kiG/Z6w4P5O0Jus/Qr5EefHVeg=="
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
URL = f"https://registry.npmjs.org/{PACKAGE}/-/{TARBALL}"
MEMBER = "package/plotly-cartesian.min.js"
ENV = "PERF_PLOTLYJS_TARBALL"
ROOT = Path(__file__).resolve().parent.parent
# Where perf.reporter.render.plotly_bundle looks first: templates/ is installed as perf.templates,
# whose package data (*.js) the dashboard's template embeds.
BUNDLE = ROOT / "templates" / "plotly-cartesian.min.js"


class FetchError(Exception):
    """Why the bundle could not be had, in one line that says what to do."""


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _checked(data: bytes, origin: str) -> bytes:
    got = integrity(data)
    if got != INTEGRITY:
        raise FetchError(f"checksum mismatch for {origin}: {got}, expected {INTEGRITY} ({TARBALL})")
    return data


def tarball(cache: Path | None = None) -> bytes:
    """The pinned tarball, checked: PERF_PLOTLYJS_TARBALL's file, else `cache` when it holds one,
    else the npm registry (kept in `cache` when given, so the next build needs no network)."""
    local = os.environ.get(ENV)
    if local:
        try:
            return _checked(Path(local).read_bytes(), f"{ENV}={local}")
        except OSError as exc:
            raise FetchError(f"{ENV}={local}: {exc.strerror}") from None
    kept = cache / TARBALL if cache else None
    if kept and kept.is_file():
        return _checked(kept.read_bytes(), str(kept))
    try:
        with urllib.request.urlopen(URL, timeout=60) as answer:
            data = _checked(answer.read(), URL)
    except OSError as exc:  # URLError, timeouts, refused connections
        raise FetchError(f"cannot download {URL} ({getattr(exc, 'reason', exc)}); offline, set "
                         f"{ENV} to a local copy of {TARBALL} (its sha512 is still checked)") from None
    if kept:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(data)
    return data


def ensure(dest: Path = BUNDLE, cache: Path | None = None) -> bool:
    """Place the bundle at `dest` unless it is there (it is only ever written checked).
    True when it was fetched now."""
    if dest.is_file():
        return False
    with tarfile.open(fileobj=io.BytesIO(tarball(cache)), mode="r:gz") as archive:
        js = archive.extractfile(MEMBER).read()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.write_bytes(js)
    part.replace(dest)  # never a half-written bundle that a later build would take as checked
    return True


def _ensure_for_build() -> None:
    try:
        if ensure():
            print(f"plotly.js {VERSION} cartesian bundle fetched and checked")
    except FetchError as exc:
        raise SetupError(f"plotly.js cartesian bundle: {exc}") from None


class BuildPy(build_py):
    def run(self) -> None:
        # An editable install reads BUNDLE from the tree, where `make install` puts it (or not,
        # offline: the dashboard then says it embeds the full bundle).
        if not self.editable_mode:
            _ensure_for_build()
        super().run()


class Sdist(sdist):
    def run(self) -> None:
        _ensure_for_build()  # the sdist carries it, so a wheel built from it needs no network
        super().run()


def main(argv: list[str]) -> int:
    """`python tools/plotlyjs.py [CACHE_DIR]`: the bundle into BUNDLE, the tarball kept in CACHE_DIR."""
    try:
        if ensure(cache=Path(argv[0]) if argv else None):
            print(f"plotly.js {VERSION} cartesian bundle -> {BUNDLE.relative_to(ROOT)}")
    except FetchError as exc:
        print(f"plotly.js cartesian bundle: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
