"""perf as a user installs it: `python -m build` (the sdist, then the wheel from it), the wheel in
a new venv, its `perf report` writing a dashboard under 1 MB with plotly.js's cartesian bundle.

Not `serial`: it mostly waits on file copies and a build, so it runs in `make test`'s parallel pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

from tests.helpers import REPO
from tests.report_fixtures import build_store
from tools.plotlyjs import ENV, TARBALL

BUNDLE = "perf/templates/plotly-cartesian.min.js"


def _run(args: list, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, **kwargs)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_the_built_wheel_installs_a_perf_whose_dashboard_is_under_a_megabyte(tmp_path):
    # The committed tree only: the bundle in the checkout (git-ignored) must not be what ships.
    src = tmp_path / "src"
    for name in _run(["git", "ls-files", "-z"], cwd=REPO).stdout.split("\0"):
        if name and (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes((REPO / name).read_bytes())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", ENV)}
    kept = Path(sys.prefix) / "share" / "perf" / TARBALL  # where `make install` keeps it checked
    if kept.is_file():
        env[ENV] = str(kept)  # so the suite does not download it again; the build still checks it
    # --no-isolation: the build backend (setuptools) is the locked one of this venv, not PyPI's.
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp_path / "dist", src],
         env=env)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    assert BUNDLE in zipfile.ZipFile(wheel).namelist()
    with tarfile.open(sdist) as archive:
        assert any(n.endswith("/templates/plotly-cartesian.min.js") for n in archive.getnames())

    # The fast way to a clean venv: the wheel alone (--no-deps), then a .pth file putting this
    # venv's site-packages after the new one's for perf's dependencies, so nothing is downloaded.
    # The .pth comes after the install: pip must not see (nor touch) this venv's editable perf.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q",
          "--no-deps", "--no-index", wheel], env=env)
    purelib = Path(_run([venv / "bin" / "python", "-c", "import sysconfig; "
                         "print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (purelib / "perf-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    store = tmp_path / "s.duckdb"
    build_store(store)
    out = tmp_path / "x.html"
    _run([venv / "bin" / "perf", "report", "--store", store, "--output", out], cwd=tmp_path, env=env)
    html = out.read_text(encoding="utf-8")
    assert len(html.encode()) <= 1_000_000
    # The footer names the bundle embedded: the wheel's own, not the checkout's.
    assert f"cartesian partial bundle, {purelib / BUNDLE}" in html
