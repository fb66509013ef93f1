from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

import click

from collector.environment import git_info, machine_info
from collector.ingest import ingest_files
from collector.vegeta import find_vegeta, vegeta_version
from perf import __version__
from perf.errors import PerfError
from perf.options import store_option, vegeta_option
from perf.store import store_session, writer_lock


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--label", default=None, help="A name for the run these results become.")
@click.option("--endpoint", default=None, metavar="'METHOD /path'",
              help="What was attacked [default: taken from the results' method and URL path].")
@click.option("--rate", type=float, default=None, help="The rate the attack offered (req/s).")
@click.option("--workers", type=int, default=None, help="Server worker count, if known.")
@store_option
@vegeta_option
def ingest(files, label, endpoint, rate, workers, store, vegeta) -> None:
    """Store vegeta result files made elsewhere (gob, json or csv encodings).

    Several files are one attack run from several load machines (vegeta's distributed
    set-up). A truncated or foreign file is an error and nothing is stored.

    \b
    Examples:
      echo "GET http://127.0.0.1:8000/health" | vegeta attack -rate 50 -duration 5s > r.bin
      perf ingest r.bin --label from-laptop
      perf ingest host1.bin host2.bin --endpoint "GET /items" --rate 400
    """
    paths = [Path(f) for f in files]
    binary = find_vegeta(vegeta)
    with writer_lock(store, "ingest") as store_path, store_session(store_path) as con:
        run_id = uuid.uuid4().hex[:12]
        now = datetime.now(timezone.utc)
        env = {**machine_info(), **git_info()}
        con.execute("BEGIN")
        try:
            con.execute(
                """INSERT INTO runs (run_id, started_at, finished_at, status, label, host, cpu_model,
                       cpu_count, os, python_version, vegeta_version, perf_version, target, config)
                   VALUES (?, ?, ?, 'complete', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [run_id, now, now, label, env["host"], env["cpu_model"], env["cpu_count"],
                 env["os"], env["python_version"], vegeta_version(binary), __version__,
                 "ingested", json.dumps({"ingested": [str(p) for p in paths], "rate": rate})],
            )
            attack = {"run_id": run_id, "endpoint": endpoint or "", "method": "", "path": "",
                      "server": "external", "workers": workers, "mode": "rate",
                      "target_rate": rate}
            attack_id = ingest_files(con, binary, paths, attack, nested=True)
            if not endpoint:
                _name_from_rows(con, attack_id)
            else:
                method, _, path = endpoint.strip().partition(" ")
                if not path:
                    raise PerfError(f"bad --endpoint {endpoint!r}: use 'METHOD /path'")
                con.execute("UPDATE attacks SET method = ?, path = ? WHERE attack_id = ?",
                            [method.upper(), path.strip(), attack_id])
            n, first, last = con.execute(
                "SELECT count(*), min(ts), max(ts) FROM requests WHERE attack_id = ?", [attack_id]
            ).fetchone()
            con.execute(
                """UPDATE runs SET started_at = make_timestamp_ns(?)::TIMESTAMPTZ,
                       finished_at = make_timestamp_ns(?)::TIMESTAMPTZ WHERE run_id = ?""",
                [first, last, run_id],
            )
            con.execute("UPDATE attacks SET duration_s = ?, started_at = make_timestamp_ns(?)::TIMESTAMPTZ, "
                        "finished_at = make_timestamp_ns(?)::TIMESTAMPTZ WHERE attack_id = ?",
                        [(last - first) / 1e9, first, last, attack_id])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    click.echo(f"run {run_id}: stored {n} results from {len(paths)} file(s)", err=True)


def _name_from_rows(con, attack_id: int) -> None:
    """The endpoint is the most common method and URL path in the results."""
    method, path = con.execute(
        """SELECT method, regexp_replace(regexp_replace(url, '^[a-z]+://[^/]+', ''), '\\?.*$', '')
           FROM requests WHERE attack_id = ? GROUP BY ALL ORDER BY count(*) DESC LIMIT 1""",
        [attack_id],
    ).fetchone()
    path = path or "/"
    con.execute("UPDATE attacks SET endpoint = ?, method = ?, path = ? WHERE attack_id = ?",
                [f"{method} {path}", method, path, attack_id])
