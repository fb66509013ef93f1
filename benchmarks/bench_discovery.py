"""Discovery over many FastAPI apps it has never seen: FastAPI's own documentation examples.

Imports every module under --docs-src that holds a FastAPI app, runs `discover` on
`app.openapi()` with every HTTP method selected (and once with no options, as `perf collect`
would), checks every generated value (parameters and
bodies, three requests under each of two salts) against its schema with jsonschema, and writes
each endpoint's targets. Prints apps, operations, built, skipped by reason, validation failures
and crashes. With --send, each app also gets each endpoint's first request in-process
(Starlette's TestClient, one subprocess per app with a time limit) and the status codes are
tallied: the app's own word on whether the generated requests are acceptable.

    git --git-dir=DIR archive HEAD docs_src | tar -x -C /tmp/fastapi-docs   # FastAPI's repo
    .venv/bin/python benchmarks/bench_discovery.py --docs-src /tmp/fastapi-docs/docs_src [--send]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from perf.collector.requests.discovery import HTTP_METHODS, Overrides, discover  # noqa: E402
from perf.collector.requests.operation import OperationRequests  # noqa: E402

EVERY_METHOD = Overrides(methods=tuple(m.upper() for m in HTTP_METHODS))


def modules(docs_src: Path) -> list[str]:
    root = docs_src.parent
    out = []
    for path in sorted(docs_src.rglob("*.py")):
        if path.name == "__init__.py" or "__pycache__" in path.parts:
            continue
        out.append(".".join(path.relative_to(root).with_suffix("").parts))
    return out


def find_app(module):
    from fastapi import FastAPI

    app = getattr(module, "app", None)
    if isinstance(app, FastAPI):
        return app
    return next((v for v in vars(module).values() if isinstance(v, FastAPI)), None)


def load(name: str):
    """(app or None, failure kind or None)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        return None, f"missing module {exc.name}"
    except BaseException as exc:  # an example that fails to import is counted, not fatal
        return None, f"import error {type(exc).__name__}"
    return find_app(module), None


def reason_kind(reason: str) -> str:
    """A skip reason with its names taken out, so that like reasons count together."""
    return re.sub(r"'[^']*'", "'…'", reason)


def check(name: str, app, tally: dict, failures: list, crashes: list) -> None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            spec = app.openapi()
    except Exception as exc:
        tally["openapi() failed"] += 1
        crashes.append(f"{name}: openapi(): {type(exc).__name__}: {exc}")
        return
    try:
        found = discover(spec, EVERY_METHOD)
    except Exception:
        crashes.append(f"{name}: discover: {traceback.format_exc(limit=-3)}")
        return
    tally["apps"] += 1
    tally["operations"] += len(found.operations)
    tally["built"] += len(found.endpoints) + len(found.setup)
    tally["left out (docs routes)"] += (len(found.operations) - len(found.endpoints)
                                        - len(found.setup) - len(found.skipped))
    for skipped in found.skipped:
        tally[f"skipped: {reason_kind(skipped.reason)}"] += 1
    default = discover(spec)  # what `perf collect` with no options attacks
    tally["attacked with no options"] += len(default.endpoints)
    for skipped in default.skipped:
        tally[f"with no options, skipped: {reason_kind(skipped.reason)}"] += 1
    if not default.endpoints:
        tally["apps with nothing to attack with no options"] += 1
    with tempfile.TemporaryDirectory() as scratch:
        for endpoint in found.endpoints + found.setup:
            source = endpoint.source
            try:
                for salt in ("salt-a", "salt-b"):
                    for index in range(3):
                        for part, value in source.values(index, salt):
                            if getattr(part, "given", False) is True:
                                continue
                            tally["values checked"] += 1
                            problem = source.schemas.problem(value, part.schema)
                            if problem:
                                failures.append(f"{name} {endpoint.name}: {value!r:.120} "
                                                f"-> {problem}")
                    endpoint.write_targets("http://127.0.0.1:1", Path(scratch) / "t.jsonl",
                                           count=3, salt=salt)
            except Exception:
                crashes.append(f"{name} {endpoint.name}: {traceback.format_exc(limit=-3)}")
            assert isinstance(source, OperationRequests)


def send_one(name: str) -> dict:
    """In a subprocess: each endpoint's first request, sent in-process; name -> status."""
    from fastapi.testclient import TestClient

    app, failure = load(name)
    if app is None:
        return {}
    found = discover(app.openapi(), EVERY_METHOD)
    out = {}
    with TestClient(app, raise_server_exceptions=False) as client:
        for endpoint in found.setup + found.endpoints:
            method, url, headers, body = endpoint.first_request("http://testserver")
            try:
                response = client.request(method, url, headers=headers, content=body,
                                          timeout=5)
                detail = response.text[:300] if response.status_code >= 400 else ""
                out[endpoint.name] = [response.status_code, detail]
            except Exception as exc:
                out[endpoint.name] = [0, f"{type(exc).__name__}: {exc}"[:300]]
    return out


def send_all(docs_src: Path, names: list[str], timeout_s: float, verbose: bool) -> None:
    codes = collections.Counter()
    rejected, refused = [], []
    for name in names:
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--docs-src", str(docs_src), "--one", name],
                capture_output=True, text=True, timeout=timeout_s, cwd=tempfile.gettempdir())
        except subprocess.TimeoutExpired:
            codes["timed out (a streaming route?)"] += 1
            continue
        try:
            answers = json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            codes["app could not be run"] += 1
            continue
        for endpoint, (status, detail) in answers.items():
            codes[f"HTTP {status}" if status else "no answer"] += 1
            if status == 422 or status >= 500 or status == 0:
                rejected.append(f"{name} {endpoint}: {status} {detail}")
            elif status >= 400:
                refused.append(f"{name} {endpoint}: {status} {detail[:100]}")
    print("\nfirst request of each endpoint, sent in-process:")
    for key, count in sorted(codes.items()):
        print(f"  {key:<32} {count}")
    print("422 (perf's request refused by validation), 5xx, no answer:")
    for line in rejected:
        print(f"  ! {line}")
    if verbose:
        print("other 4xx (the app's own rules: auth, unknown ids, ...):")
        for line in refused:
            print(f"  - {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs-src", type=Path, required=True)
    parser.add_argument("--send", action="store_true", help="also send each first request")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per app with --send")
    parser.add_argument("--verbose", action="store_true", help="with --send, list every 4xx")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    docs_src = args.docs_src.resolve()
    sys.path.insert(0, str(docs_src.parent))
    os.chdir(tempfile.mkdtemp(prefix="bench-discovery-"))  # examples write files (sqlite)
    if args.one:
        print(json.dumps(send_one(args.one)))
        return 0
    tally = collections.Counter()
    failures: list[str] = []
    crashes: list[str] = []
    with_apps = []
    for name in modules(docs_src):
        tally["modules"] += 1
        app, failure = load(name)
        if failure:
            tally[f"not imported: {failure}"] += 1
        elif app is None:
            tally["no FastAPI app in the module"] += 1
        else:
            check(name, app, tally, failures, crashes)
            with_apps.append(name)
    order = ["modules", "apps", "operations", "built", "left out (docs routes)", "values checked",
             "attacked with no options"]
    for key in order:
        print(f"{key:<40} {tally.pop(key, 0)}")
    for key, count in sorted(tally.items()):
        print(f"{key:<40} {count}")
    print(f"{'validation failures':<40} {len(failures)}")
    print(f"{'crashes':<40} {len(crashes)}")
    for line in failures[:50] + crashes[:50]:
        print("  ! " + line.rstrip().replace("\n", "\n    "))
    if args.send:
        send_all(docs_src, with_apps, args.timeout, args.verbose)
    return 1 if failures or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
