"""How often `perf compare`, with the defaults a user gets, gives the right answer on real
collects: A/A pairs (identical code) must pass, A/B pairs with a known slowdown must fail.

    .venv/bin/python benchmarks/bench_compare_accuracy.py               # 10 pairs per scenario
    .venv/bin/python benchmarks/bench_compare_accuracy.py --pairs 3     # a quick look
    .venv/bin/python benchmarks/bench_compare_accuracy.py --only aa-db --pairs 5

Each pair is real `perf collect` runs into a fresh store, the way the pull-request workflow
collects (docs/workflows/perf.yml: PERF_ROUNDS alternated rounds of base then candidate, each
with its PERF_COLLECT options, narrowed to one endpoint at one rate), then `perf compare base
candidate --pool`. Targets (issue 10):

    aa-simple  /api/simple/async, identical code          exit 0 in >= 9/10
    aa-db      /api/db/async/read, identical code         exit 0 in >= 9/10
    ab-delay   /api/simple/async, TARGET_APP_DELAY_SCALE=1.1 on the candidate
                                                          exit 1 naming p50 in 10/10
    ab-cpu     /api/cpu/async_blocking, TARGET_APP_CPU_SCALE=1.25 on the candidate
                                                          exit 1 in >= 9/10

It prints every command, each pair's changes (! = not "same"), exit status and regression
lines, and the rates.
Figures measured while other work shares the machine are not the quiet-machine figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PERF = [sys.executable, "-m", "perf.cli"]
WORKFLOW = REPO / "docs" / "workflows" / "perf.yml"


@dataclass
class Scenario:
    name: str
    filter: str
    rate: int
    candidate_env: dict[str, str]
    want_exit: int
    want_metric: str | None  # a regression line must name this metric
    need: int  # right answers out of 10 (scaled to --pairs)


SCENARIOS = [
    Scenario("aa-simple", "/api/simple/async", 50, {}, 0, None, 9),
    Scenario("aa-db", "/api/db/async/read", 50, {}, 0, None, 9),
    Scenario("ab-delay", "/api/simple/async", 50, {"TARGET_APP_DELAY_SCALE": "1.1"}, 1, "p50", 10),
    Scenario("ab-cpu", "/api/cpu/async_blocking", 20, {"TARGET_APP_CPU_SCALE": "1.25"}, 1, None, 9),
]


def workflow_collect_options() -> tuple[list[str], int]:
    """The options the pull-request workflow gives every `perf collect` (its PERF_COLLECT), and
    how many alternated rounds of base and head it collects (PERF_ROUNDS)."""
    env = yaml.safe_load(WORKFLOW.read_text())["env"]
    return shlex.split(env["PERF_COLLECT"]), int(env.get("PERF_ROUNDS", 1))


def run(args: list[str], env: dict, log) -> subprocess.CompletedProcess:
    shown = " ".join(shlex.quote(a) for a in ["perf", *args])
    extra = " ".join(f"{k}={v}" for k, v in env.items() if k.startswith("TARGET_APP_") and k != "TARGET_APP_DB")
    print(f"    $ {extra + ' ' if extra else ''}{shown}", file=log, flush=True)
    return subprocess.run([*PERF, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)


def one_pair(s: Scenario, collect: list[str], rounds: int, workdir: Path,
             log) -> tuple[int, list[str], dict]:
    """The workflow's way: `rounds` alternated rounds of base then candidate, compared pooled."""
    store = workdir / "perf.duckdb"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("TARGET_APP_", "PERF_"))}
    base_env["TARGET_APP_DB"] = str(workdir / "app.sqlite3")
    for _ in range(rounds):
        for label, env in (("base", base_env), ("candidate", {**base_env, **s.candidate_env})):
            done = run(["collect", *collect, "--filter", s.filter, "--rates", str(s.rate),
                        "--label", label, "--store", str(store)], env, log)
            if done.returncode != 0:
                raise SystemExit(f"collect failed ({done.returncode}):\n{done.stderr[-2000:]}")
    pool = ["--pool"] if rounds > 1 else []
    compared = run(["compare", "base", "candidate", *pool, "--store", str(store), "--format",
                    "json"], base_env, log)
    if compared.returncode not in (0, 1):
        raise SystemExit(f"compare failed ({compared.returncode}):\n{compared.stderr}")
    doc = json.loads(compared.stdout)
    for cell in doc["cells"]:
        changes = "  ".join(
            f"{name} {_change(m)}" + (f" p={m['p_value']:.2f}" if m["p_value"] is not None else "")
            + ("!" if m["verdict"] != "same" else "")
            for name, m in cell["metrics"].items())
        print(f"      {cell['basis']}: {changes}", file=log)
    return compared.returncode, [r["line"] for r in doc["regressions"]], doc


def _change(m: dict) -> str:
    if m["change"] is None:
        return "-"
    return f"{m['change']:+.2f}pp" if m["change_unit"] == "pp" else f"{m['change'] * 100:+.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10, help="pairs of runs per scenario")
    parser.add_argument("--only", action="append", choices=[s.name for s in SCENARIOS],
                        help="run only these scenarios (repeatable)")
    parser.add_argument("--save", type=Path, default=None, metavar="DIR",
                        help="keep each pair's `perf compare --format json` here (to study noise)")
    args = parser.parse_args()
    collect, rounds = workflow_collect_options()
    print(f"collect options from {WORKFLOW.relative_to(REPO)}: {' '.join(collect)} "
          f"(+ --filter PATH --rates R per scenario), {rounds} alternated rounds a side")
    results = []
    for s in SCENARIOS:
        if args.only and s.name not in args.only:
            continue
        print(f"\n{s.name}: {s.filter} @ {s.rate}/s, candidate {s.candidate_env or 'identical'}; "
              f"want exit {s.want_exit}" + (f" naming {s.want_metric}" if s.want_metric else ""))
        right = 0
        started = time.monotonic()
        for i in range(args.pairs):
            with tempfile.TemporaryDirectory(prefix="perf-bench-compare-") as tmp:
                code, regressions, doc = one_pair(s, collect, rounds, Path(tmp), sys.stdout)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"{s.name}-{i + 1}.json").write_text(json.dumps(doc, indent=1))
            ok = code == s.want_exit and (
                s.want_metric is None or any(f": {s.want_metric} " in line for line in regressions))
            right += ok
            print(f"  pair {i + 1}: exit {code} {'ok' if ok else 'WRONG'}")
            for line in regressions:
                print(f"      {line}")
        need = -(-s.need * args.pairs // 10)  # the same share of the pairs, rounded up
        results.append((s, right, need, time.monotonic() - started))
    print("\nscenario   right/pairs  target     minutes")
    for s, right, need, seconds in results:
        verdict = "ok" if right >= need else "MISSED"
        print(f"{s.name:<10} {right:>2}/{args.pairs:<2}        >= {need:<2} {verdict:<6} {seconds / 60:5.1f}")


if __name__ == "__main__":
    main()
