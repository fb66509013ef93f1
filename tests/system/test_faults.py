"""Fault injection: perf never loses a finished attack and never shows a traceback.

Each case is reproduced with the real thing (a perf process, vegeta, uvicorn, a DuckDB file,
a full or read-only file system) and checked by its exit code, its one line on stderr, the
store's rows before and after, the processes left (by pid) and the scratch folders left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psutil
import pytest
from markdown_it import MarkdownIt

from perf.collector.storage.run_rows import store_run_row
from perf.collector.server.server import start_server
from perf.collector.storage.spool import pending, store_entry, write_entry, attack_files
from perf.store.database import MIGRATIONS, SCHEMA_VERSION, inspect_store, open_store, spool_path
from tests.helpers import PERF, REPO, first_results, perf_env, results_said, run_perf

TABLES = ("runs", "attacks", "requests", "samples")
SWEEP = ["--rates", "10", "--duration", "1s", "--workers", "1", "--warmup", "0"]
NASTY_LABEL = "<img src=x onerror=alert(1)> | `rm -rf` \x1b]0;pwned\x07 \x1b[31mred\rok"
NASTY_ENDPOINT = "GET /x|<script>alert(1)</script>"
NASTY_ERROR = "500 <b>**boom**</b> | `x`"


# ---- helpers ----------------------------------------------------------------------------

def counts(store: Path) -> dict[str, int]:
    if not store.exists():
        return {t: 0 for t in TABLES}
    con = duckdb.connect(str(store), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def query(store: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def one_error_line(proc) -> str:
    """Exit 1, and stderr is exactly one line, `perf: error: ...`, with no traceback."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("perf: error: "), proc.stderr
    return lines[0]


def alive(pids: set[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def wait_gone(pids: set[int], timeout_s: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


class Perf:
    """A `perf collect` running in the background, its stderr read line by line, and every
    child process it had at any time we looked."""

    def __init__(self, tmp_path: Path, args: list[str]):
        self.scratch = tmp_path / "scratch"
        self.scratch.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [*PERF, "collect", *args], cwd=REPO, stdin=subprocess.DEVNULL,
            env=perf_env(tmp_path, TMPDIR=str(self.scratch)), stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.children: set[int] = set()

    def look(self) -> None:
        try:
            self.children.update(p.pid for p in psutil.Process(self.proc.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            pass

    def until(self, predicate, timeout_s: float = 60) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            self.look()
            if predicate(line):
                return line
        raise AssertionError("never seen; perf said:\n" + "".join(self.lines))

    def signal_burst(self, sig: int, n: int = 5, gap_s: float = 0.1) -> None:
        for _ in range(n):
            self.look()
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            time.sleep(gap_s)

    def finish(self, timeout_s: float = 60) -> str:
        _, rest = self.proc.communicate(timeout=timeout_s)
        self.lines.append(rest)
        return "".join(self.lines)


@contextmanager
def reader(store: Path):
    """Another process holding the store open read-only, as any DuckDB client may."""
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(store)!r}, "
         "read_only=True); print('held', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def _mount(point: Path, size: str, read_only: bool = False) -> None:
    point.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")


def _umount(point: Path) -> None:
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder perf cannot write, whatever its user: a read-only tmpfs as root (root ignores
    permission bits), a 0555 folder otherwise. Yields a function that fills it first, then
    makes it read-only."""
    point = tmp_path / "ro"
    mounted = []

    def make(fill=lambda folder: None) -> Path:
        if os.geteuid() == 0:
            _mount(point, "8m")
            mounted.append(point)
            fill(point)
            subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
        else:
            point.mkdir()
            fill(point)
            for path in [point, *point.rglob("*")]:
                path.chmod(0o555 if path.is_dir() else 0o444)
        return point

    yield make
    for p in mounted:
        _umount(p)
    if point.exists() and os.geteuid() != 0:
        for path in [point, *point.rglob("*")]:
            path.chmod(0o755)


@pytest.fixture(scope="module")
def results_json(tmp_path_factory, vegeta) -> Path:
    """20 results of a real 20/s vegeta attack on target_app's /health, in vegeta's JSON
    encoding."""
    tmp = tmp_path_factory.mktemp("faults")
    srv = start_server("uvicorn", "target_app.main:app", 1, tmp / "logs",
                       env={"TARGET_APP_DB": str(tmp / "app.sqlite3"), "PYTHONPATH": str(REPO)})
    try:
        attack = subprocess.run([str(vegeta), "attack", "-rate=20/1s", "-duration=2s"],
                                input=f"GET {srv.base_url}/health\n".encode(), capture_output=True,
                                check=True, timeout=30)
    finally:
        srv.stop()
    out = tmp / "results.json"
    with open(out, "wb") as fh:
        subprocess.run([str(vegeta), "encode", "--to", "json"], input=attack.stdout, stdout=fh,
                       check=True, timeout=30)
    return first_results(out, 20)


def _v2_store(path: Path) -> None:
    """A store as perf v2 left it: the first two migrations, version 2."""
    con = duckdb.connect(str(path))
    con.execute(MIGRATIONS[0])
    con.execute(MIGRATIONS[1])
    con.execute("INSERT INTO perf_meta VALUES ('schema_version', '2')")
    con.close()


# ---- 1. a busy store: spool, then store --------------------------------------------------

@pytest.mark.slow
def test_reader_holding_the_store_longer_than_the_lock_wait_loses_nothing(tmp_path):
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    perf = Perf(tmp_path, ["--filter", "/api/simple", *SWEEP, "--store", str(store)])
    run_line = perf.until(lambda l: l.startswith("run ") and "->" in l)
    run_id = run_line.split()[1].rstrip(":")
    # Longer than the 10 s any perf command waits for DuckDB's lock: the old perf threw the
    # attack away and failed here.
    with reader(store) as holder:
        held_since = time.monotonic()
        perf.until(lambda l: l.startswith("waiting for the store"))
        assert f"(held by pid {holder.pid}, a reader)" in perf.lines[-1]
        perf.until(lambda l: l.startswith("[3/3]") and "(elapsed" in l)
        time.sleep(max(0.0, held_since + 12 - time.monotonic()))
        assert perf.proc.poll() is None  # still waiting for the store, not failed
    out = perf.finish()
    assert perf.proc.returncode == 0, out
    assert "Traceback" not in out and "perf: error" not in out
    assert f"run {run_id}: 3 attacks stored (complete)" in out
    assert query(store, "SELECT status FROM runs") == [("complete",)]
    # Each attack whole: every result vegeta returned (10 a second, one fewer when it
    # falls behind) is stored.
    per_attack = query(store, "SELECT (SELECT count(*) FROM requests r WHERE r.attack_id = "
                              "a.attack_id) FROM attacks a ORDER BY attack_id")
    said = results_said(perf.lines)
    assert len(said) == 3 and min(said) >= 9, said
    assert per_attack == [(n,) for n in said]
    assert not spool_path(store).exists()


@pytest.mark.slow
def test_sigkill_mid_sweep_then_the_next_collect_keeps_everything_and_marks_it_partial(tmp_path):
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    first = Perf(tmp_path, ["--filter", "/api/simple", *SWEEP, "--store", str(store)])
    run_id = first.until(lambda l: l.startswith("run ") and "->" in l).split()[1].rstrip(":")
    with reader(store):  # the attacks finish but cannot be stored: they wait in the spool
        first.until(lambda l: l.startswith("[2/3]") and "kept in the spool" in l)
        first.look()
        first.proc.kill()
        first.finish()
    assert first.proc.returncode == -signal.SIGKILL
    assert first.children and wait_gone(first.children) == []  # server and vegeta died with it
    assert sorted(e.kind for e in pending(spool_path(store))) == ["attack", "attack"]
    assert query(store, "SELECT status, pid FROM runs") == [("running", first.proc.pid)]

    second = run_perf(["collect", "--endpoint", "GET /api/simple/async/{item_id}", *SWEEP,
                       "--store", str(store)], tmp_path)
    assert second.returncode == 0, second.stderr
    assert f"stored what an earlier perf left spooled: run {run_id}: 2 attacks" in second.stderr
    assert (f"run {run_id} was left running by pid {first.proc.pid}, which is gone: "
            "marked partial") in second.stderr
    assert second.stderr.count("marked partial") == 1
    runs = query(store, "SELECT run_id, status, (SELECT count(*) FROM attacks a WHERE "
                        "a.run_id = r.run_id) FROM runs r ORDER BY started_at")
    assert runs[0] == (run_id, "partial", 2) and runs[1][1:] == ("complete", 1)
    said = results_said(first.lines) + results_said(second.stderr)
    assert len(said) == 3, said
    assert query(store, "SELECT count(*) FROM requests") == [(sum(said),)]
    assert not spool_path(store).exists()


def test_a_spooled_attack_is_never_stored_twice(tmp_path, results_json, vegeta):
    """perf killed between an entry's COMMIT and its deletion: the next writer finds the same
    entry again, and must not store it a second time."""
    from perf.collector.storage.attacks import to_csv
    from perf.collector.storage.records import AttackRecord
    from perf.collector.storage.run_rows import run_row
    from datetime import datetime, timezone

    store = tmp_path / "s.duckdb"
    csv_path = tmp_path / "r.csv"
    to_csv(vegeta, results_json, csv_path)
    row = run_row(status="running", label=None, target="t", config={}, vegeta_version="v")
    attack = AttackRecord(run_id=row["run_id"], endpoint="GET /health", method="GET",
                          path="/health", target_rate=20.0, started_at=datetime.now(timezone.utc))
    root = spool_path(store)
    con = open_store(store)
    try:
        store_run_row(con, row)  # an attack is stored only with its run (spool.store_entry)
        for _ in range(2):
            copy = tmp_path / "copy.csv"
            copy.write_bytes(csv_path.read_bytes())
            entry = write_entry(root, row["run_id"], 1, "attack", attack_files(attack, copy, []))
            store_entry(con, entry)
            assert not entry.path.exists()
        stored = con.execute("SELECT count(*) FROM attacks").fetchone()[0]
        requests = con.execute("SELECT count(*) FROM requests").fetchone()[0]
    finally:
        con.close()
    assert (stored, requests) == (1, 20)


def test_a_spooled_mix_links_its_background_to_its_foreground(tmp_path, results_json, vegeta):
    """Both sides of a --large-body mix waited in the spool: the background attack's
    foreground_id is found when it is stored, from the foreground's record."""
    from perf.collector.storage.attacks import to_csv
    from perf.collector.storage.records import AttackRecord
    from perf.collector.storage.run_rows import run_row
    from datetime import datetime, timedelta, timezone

    store = tmp_path / "s.duckdb"
    root = spool_path(store)
    start = datetime.now(timezone.utc)
    mix = "POST /x 25MB @ 1/s"
    fore = AttackRecord(run_id="r1", endpoint="POST /x (beside 25MB@1/s)", method="POST",
                        path="/x", target_rate=20.0, started_at=start, role="foreground",
                        background=mix)
    back = AttackRecord(run_id="r1", endpoint="POST /x (25MB bodies)", method="POST", path="/x",
                        target_rate=1.0, started_at=start + timedelta(microseconds=5),
                        role="background", background=mix)
    for seq, (attack, foreground) in enumerate([(fore, None), (back, fore)], start=1):
        csv_path = tmp_path / f"{seq}.csv"
        to_csv(vegeta, results_json, csv_path)
        write_entry(root, "r1", seq, "attack", attack_files(attack, csv_path, [], foreground))
    con = open_store(store)
    try:
        store_run_row(con, {**run_row(status="running", label=None, target="t", config={},
                                      vegeta_version="v"), "run_id": "r1"})
        for entry in pending(root):
            store_entry(con, entry)
        rows = con.execute("SELECT attack_id, role, foreground_id FROM attacks ORDER BY attack_id"
                           ).fetchall()
    finally:
        con.close()
    assert rows == [(rows[0][0], "foreground", None), (rows[1][0], "background", rows[0][0])]


def test_ingest_spooled_stores_what_a_collect_left(tmp_path, results_json, vegeta):
    from perf.collector.storage.attacks import to_csv
    from perf.collector.storage.records import AttackRecord
    from perf.collector.storage.run_rows import run_row
    from perf.collector.storage.spool import finish_files, run_files
    from datetime import datetime, timezone

    store = tmp_path / "s.duckdb"
    nothing = run_perf(["ingest", "--spooled", "--store", str(store)], tmp_path)
    assert nothing.returncode == 0 and nothing.stderr == f"nothing spooled for {store}\n"
    row = run_row(status="running", label="left", target="t", config={}, vegeta_version="v")
    csv_path = tmp_path / "r.csv"
    to_csv(vegeta, results_json, csv_path)
    attack = AttackRecord(run_id=row["run_id"], endpoint="GET /health", method="GET",
                          path="/health", target_rate=20.0, started_at=datetime.now(timezone.utc))
    root = spool_path(store)
    write_entry(root, row["run_id"], 0, "run", run_files(row))
    write_entry(root, row["run_id"], 1, "attack", attack_files(attack, csv_path, []))
    write_entry(root, row["run_id"], 2, "finish", finish_files("complete", datetime.now(timezone.utc)))
    (root / row["run_id"] / ".tmp-0003-attack").mkdir()  # a write cut short: never read
    proc = run_perf(["ingest", "--spooled", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (f"stored what an earlier perf left spooled: run {row['run_id']}: "
                           "its run row, 1 attack, its final status\n")
    assert query(store, "SELECT label, status FROM runs") == [("left", "complete")]
    assert counts(store)["requests"] == 20 and not root.exists()


# ---- 2. signals --------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("moment, sig", [("start-up", signal.SIGINT),
                                         ("mid-attack", signal.SIGTERM),
                                         ("cleanup", signal.SIGINT)])
def test_signal_bursts_end_in_one_line_and_leave_nothing_behind(tmp_path, moment, sig):
    store = tmp_path / "s.duckdb"
    rates = "10,20" if moment == "mid-attack" else "10"
    perf = Perf(tmp_path, ["--filter", "/api/simple/async", "--rates", rates, "--duration", "2s",
                           "--workers", "1", "--warmup", "0", "--store", str(store)])
    if moment == "start-up":
        perf.until(lambda l: l.startswith("starting uvicorn"))
        time.sleep(0.2)  # the server is starting; perf waits for it to answer
    elif moment == "mid-attack":
        perf.until(lambda l: l.startswith("[2/2]") and l.rstrip().endswith("..."))
        time.sleep(0.8)
    else:
        perf.until(lambda l: l.startswith("[1/1]") and "requests" in l)
    perf.signal_burst(sig)
    out = perf.finish(timeout_s=30)
    assert perf.proc.returncode == 128 + sig, out  # 130 for SIGINT, 143 for SIGTERM
    assert "Traceback" not in out and "Aborted" not in out and "perf: error" not in out
    assert len([l for l in out.splitlines() if l.startswith("perf: interrupted")]) == 1, out
    assert perf.children and wait_gone(perf.children, 5) == []
    assert list(perf.scratch.iterdir()) == []
    if moment == "start-up":
        assert counts(store)["attacks"] == 0
    elif moment == "mid-attack":  # the finished attack kept whole, the cut one not at all
        assert query(store, "SELECT status FROM runs") == [("partial",)]
        [said] = results_said(perf.lines)  # the finished one (10/s for 2 s)
        assert said >= 19
        assert query(store, "SELECT target_rate, (SELECT count(*) FROM requests r WHERE "
                            "r.attack_id = a.attack_id) FROM attacks a") == [(10.0, said)]
    else:
        [said] = results_said(perf.lines)  # 10/s for 2 s
        assert said >= 19 and counts(store)["requests"] == said
        assert query(store, "SELECT status FROM runs")[0][0] in ("partial", "complete")


# ---- 3. ingest ---------------------------------------------------------------------------

def test_half_a_json_results_file_is_refused(tmp_path, results_json):
    half = tmp_path / "half.json"
    data = results_json.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    store = tmp_path / "s.duckdb"
    assert run_perf(["ingest", str(results_json), "--store", str(store)], tmp_path).returncode == 0
    before = counts(store)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    line = one_error_line(run_perf(["ingest", str(half), "--store", str(store)], tmp_path,
                                   TMPDIR=str(scratch)))
    assert line.startswith(f"perf: error: {half}: truncated vegeta results (")
    assert "JSON lines are whole results" in line
    assert counts(store) == before and before["requests"] == 20
    assert list(scratch.iterdir()) == []  # the converted copy went with it


@pytest.mark.parametrize("rate", ["-5", "0", "nan", "inf"])
def test_ingest_refuses_a_rate_that_is_no_rate_before_writing(tmp_path, results_json, rate):
    store = tmp_path / "s.duckdb"
    line = one_error_line(run_perf(["ingest", str(results_json), f"--rate={rate}",
                                    "--store", str(store)], tmp_path))
    assert line.startswith(f"perf: error: bad --rate value '{rate}': ")
    assert not store.exists()


def test_a_run_ingested_without_rate_reports_as_rate_unknown(tmp_path, results_json):
    store = tmp_path / "s.duckdb"
    proc = run_perf(["ingest", str(results_json), "--label", "from-laptop", "--store", str(store)],
                    tmp_path)
    assert proc.returncode == 0, proc.stderr
    # The endpoint was worked out before the insert: the one attack row carries it.
    assert query(store, "SELECT endpoint, method, path, target_rate FROM attacks") == [
        ("GET /health", "GET", "/health", None)]
    for fmt in ("text", "markdown"):
        report = run_perf(["report", "--format", fmt, "--store", str(store)], tmp_path)
        assert report.returncode == 0 and report.stderr == "", report.stderr
        assert "rate unknown" in report.stdout


# ---- 4. one line for every expected failure ---------------------------------------------

def test_store_in_a_read_only_directory(tmp_path, read_only_dir):
    folder = read_only_dir()
    store = folder / "s.duckdb"
    line = one_error_line(run_perf(["collect", *SWEEP, "--store", str(store)], tmp_path))
    assert line.startswith(f"perf: error: cannot write store {store}")
    assert line.endswith(("Read-only file system", "Permission denied"))
    assert list(folder.iterdir()) == []


def test_store_and_output_under_a_file(tmp_path, results_json):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    line = one_error_line(run_perf(["collect", *SWEEP, "--store", str(blocker / "s.duckdb")],
                                   tmp_path))
    assert line == f"perf: error: cannot create store folder {blocker}: {blocker} is a file"
    store = tmp_path / "s.duckdb"
    assert run_perf(["ingest", str(results_json), "--store", str(store)], tmp_path).returncode == 0
    line = one_error_line(run_perf(["report", "--store", str(store), "-o",
                                    str(blocker / "sub" / "r.md")], tmp_path))
    assert line == f"perf: error: cannot create --output folder {blocker / 'sub'}: {blocker} is a file"


def test_output_in_a_read_only_directory(tmp_path, results_json, read_only_dir):
    store = tmp_path / "s.duckdb"
    assert run_perf(["ingest", str(results_json), "--store", str(store)], tmp_path).returncode == 0
    folder = read_only_dir()
    line = one_error_line(run_perf(["report", "--store", str(store), "-o", str(folder / "r.md")],
                                   tmp_path))
    assert line.startswith(f"perf: error: cannot write --output {folder / 'r.md'}: ")
    assert line.endswith(("Read-only file system", "Permission denied"))


@pytest.mark.skipif(os.geteuid() != 0, reason="filling a disk needs a small tmpfs, which only "
                                               "root can mount")
def test_a_full_disk_while_storing_names_the_real_cause(tmp_path, results_json):
    point = tmp_path / "small"
    _mount(point, "4m")
    try:
        store = point / "s.duckdb"
        open_store(store).close()
        # As an earlier perf left it: its page is reused when perf writes its name in it.
        (point / "s.duckdb.lock").write_text("perf collect (pid 4242424242)")
        filler = point / "filler"
        with open(filler, "wb") as fh:  # every byte taken
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        before = counts(store)
        line = one_error_line(run_perf(["ingest", str(results_json), "--store", str(store)],
                                       tmp_path))
        assert line.startswith(f"perf: error: cannot store the results in store {store}: ")
        assert line.endswith("No space left on device")
        filler.unlink()
        assert counts(store) == before  # nothing half-stored; the store still opens
        again = run_perf(["ingest", str(results_json), "--store", str(store)], tmp_path)
        assert again.returncode == 0, again.stderr
        assert counts(store)["requests"] == 20
    finally:
        _umount(point)


def test_a_schema_version_that_is_not_a_number(tmp_path):
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    con = duckdb.connect(str(store))
    con.execute("UPDATE perf_meta SET value = 'three' WHERE key = 'schema_version'")
    con.close()
    before = counts(store)
    for command in (["runs"], ["report"], ["collect", *SWEEP]):
        line = one_error_line(run_perf([*command, "--store", str(store)], tmp_path))
        assert line == (f"perf: error: store {store} is not a perf store this perf can read: its "
                        "schema version in perf_meta is 'three', not a number")
    assert counts(store) == before
    assert query(store, "SELECT value FROM perf_meta WHERE key = 'schema_version'") == [("three",)]  # left as it was


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_store_that_cannot_be_written_says_so(tmp_path, read_only_dir, version):
    def fill(folder: Path) -> None:
        path = folder / "s.duckdb"
        if version == 2:
            _v2_store(path)
        else:
            con = duckdb.connect(str(path))
            con.execute(MIGRATIONS[0])
            con.execute("INSERT INTO perf_meta VALUES ('schema_version', '1')")
            con.close()

    store = read_only_dir(fill) / "s.duckdb"
    line = one_error_line(run_perf(["runs", "--store", str(store)], tmp_path))
    assert line.startswith(f"perf: error: store {store} is schema v{version} and read-only (")
    assert line.endswith(f"perf needs to upgrade it in place to v{SCHEMA_VERSION}; "
                         "make it writable once")


# ---- 5. perf doctor ----------------------------------------------------------------------

def test_doctor_reports_the_store_as_it_is(tmp_path, read_only_dir):
    def at(name: str) -> Path:
        return tmp_path / name

    open_store(at("v3.duckdb")).close()
    _v2_store(at("v2.duckdb"))
    open_store(at("newer.duckdb")).close()
    con = duckdb.connect(str(at("newer.duckdb")))
    con.execute("UPDATE perf_meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    con = duckdb.connect(str(at("foreign.duckdb")))
    con.execute("CREATE TABLE mine (x INTEGER)")
    con.close()
    at("text.duckdb").write_text("not a database\n")
    expected = {
        "v3.duckdb": (f"perf store v{SCHEMA_VERSION}", True),
        "v2.duckdb": ("perf store v2 (will be upgraded in place on next write)", True),
        "newer.duckdb": (f"newer than this perf (v999; this perf knows v{SCHEMA_VERSION})", False),
        "foreign.duckdb": ("not a perf store (a DuckDB file with other tables, no perf_meta)", False),
        "text.duckdb": ("not a DuckDB file", False),
        "new/s.duckdb": ("will be created", True),
    }
    for name, state in expected.items():
        assert inspect_store(at(name)) == state, name
    assert query(at("v2.duckdb"), "SELECT value FROM perf_meta") == [("2",)]  # not upgraded
    folder = read_only_dir()
    state, usable = inspect_store(folder / "s.duckdb")
    assert state.startswith("not writable (read-only directory: ") and not usable
    proc = run_perf(["doctor", "--store", str(at("text.duckdb"))], tmp_path)
    assert proc.returncode == 1
    assert [l for l in proc.stdout.splitlines() if l.startswith("store")] == [
        f"store     UNUSABLE: {at('text.duckdb')} (not a DuckDB file)"]


# ---- 6. escaping -------------------------------------------------------------------------

def test_stored_text_reaches_markdown_as_text_and_terminals_without_controls(tmp_path, results_json):
    nasty = tmp_path / "nasty.json"
    lines = results_json.read_text().splitlines()
    for i in range(0, len(lines), 2):  # half the requests failed, with a hostile reason
        result = json.loads(lines[i])
        result.update(code=500, error=NASTY_ERROR)
        lines[i] = json.dumps(result)
    nasty.write_text("\n".join(lines) + "\n")
    store = tmp_path / "s.duckdb"
    proc = run_perf(["ingest", str(nasty), "--label", NASTY_LABEL, "--endpoint", NASTY_ENDPOINT,
                     "--rate", "20", "--store", str(store)], tmp_path)
    assert proc.returncode == 0, proc.stderr

    md = run_perf(["report", "--format", "markdown", "--store", str(store)], tmp_path).stdout
    parser = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    tokens = parser.parse(md)
    every = tokens + [c for t in tokens for c in (t.children or [])]
    html_parts = [t.content.strip() for t in every if t.type in ("html_inline", "html_block")]
    assert all(p.startswith(("<details>", "</details>")) for p in html_parts), html_parts  # perf's own
    assert not {t.type for t in every} & {"link_open", "image", "code_inline", "em_open", "s_open"}
    html = parser.render(md)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    widths, row = [], 0
    for t in tokens:  # every table row as wide as its header: no pipe split a cell
        if t.type == "tr_open":
            row = 0
        elif t.type in ("th_open", "td_open"):
            row += 1
        elif t.type == "tr_close":
            widths.append(row)
        elif t.type == "table_close":
            assert len(set(widths)) == 1, widths
            widths = []
    text_of = "".join(c.content for t in tokens for c in (t.children or []) if c.type == "text")
    assert "GET /x|<script>alert(1)</script>" in text_of and "`rm -rf`" in text_of
    assert "500 <b>**boom**</b> | `x`" in text_of

    for command in (["runs"], ["report"]):
        out = run_perf([*command, "--store", str(store)], tmp_path).stdout
        assert not any(c in out for c in "\x1b\x07\r"), repr(out)
        assert "<img src=x onerror=alert(1)> | `rm -rf`" in out and "pwned" not in out


# ---- 7. numbers vegeta can carry ---------------------------------------------------------

