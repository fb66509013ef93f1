from __future__ import annotations

import sys

import click

from perf.collector.settings.background import SCENARIOS
from perf.collector.settings.settings import (SERVERS, build_settings, default_of, pyproject_settings,
                                              require_target)
from perf.base.text import plural
from perf.collector.sweep.progress import make_progress
from perf.collector.sweep.dry_run import dry_run
from perf.collector.sweep.sweep import Interrupted, collect as run_collect
from perf.base import interrupts
from perf.cli.options import store_option, vegeta_option


def _default(name: str) -> str:
    value = default_of(name)
    if isinstance(value, (list, tuple)):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}s"
    return str(value)


@click.command()
@click.option("--app", metavar="MODULE:ATTR",
              help="The ASGI app perf starts, as uvicorn names it  [default: app in [tool.perf]; "
                   "perf's demo app is target_app.main:app]")
@click.option("--factory", is_flag=True, default=None,
              help="--app names a zero-argument function that returns the app.")
@click.option("--app-dir", metavar="DIR", help="Import --app from DIR (added to sys.path).")
@click.option("--python", metavar="PATH",
              help="Run the app with this interpreter (its own virtualenv; it needs uvicorn) "
                   "[default: perf's].")
@click.option("--url", metavar="URL", help="Attack a server already running on this machine (a loopback URL, "
                            "may carry a path prefix) instead of starting --app.")
@click.option("--pid", type=int, default=None, help="With --url: the server process to sample.")
@click.option("--filter", multiple=True, metavar="PREFIX",
              help="Only paths under PREFIX, by whole segments (repeatable, comma lists).")
@click.option("--endpoint", multiple=True, metavar="'METHOD /path'",
              help="Only this operation (repeatable); a bare path means every method.")
@click.option("--exclude", multiple=True, metavar="PATTERN",
              help="Leave out operations whose 'METHOD /path' or path matches this glob, "
                   "e.g. '*/admin/*' or 'POST /items/bulk*' (repeatable).")
@click.option("--include-destructive", is_flag=True, default=None,
              help="Also attack operations left out by default because their path or summary "
                   "says they delete, clean, reset, back up, restore, bulk-act or fetch a URL.")
@click.option("--methods", multiple=True, metavar="M1,M2",
              help=f"HTTP methods to attack; DELETE only when named  [default: {_default('methods')}]")
@click.option("--header", multiple=True, metavar="'Name: value'",
              help="Send this header with every request (repeatable); values are masked in "
                   "everything perf stores and prints.")
@click.option("--param", multiple=True, metavar="name=value",
              help="A value for every path, query, header or cookie parameter, or top-level body "
                   "field, of that name (repeatable).")
@click.option("--login", metavar="USER:PASSWORD",
              help="Log in as this user before the attacks (the document's OAuth2 password "
                   "flow, else a login route perf finds) and send its token with every "
                   "request; again when the token would expire, during an attack if it "
                   "dies sooner. Masked everywhere.")
@click.option("--login-route", metavar="'POST /path'",
              help="Where to log in, when perf cannot find it in the document.")
@click.option("--targets", metavar="FILE",
              help="Attack the requests of a vegeta targets file (JSON or http format) instead "
                   "of the OpenAPI document; grouped into endpoints by method and path.")
@click.option("--health-path", metavar="PATH",
              help="Route for readiness and idle checks, e.g. /healthz  [default: the OpenAPI "
                   "document]")
@click.option("--openapi-url", metavar="PATH",
              help="Where the OpenAPI document is  [default: the app's own openapi_url, else "
                   "/openapi.json]")
@click.option("--rates", multiple=True, metavar="R1,R2",
              help=f"Constant request rates per second (open loop)  [default: {_default('rates')}]")
@click.option("--concurrency", multiple=True, metavar="N1,N2",
              help="Closed loop: N workers each waiting for its answer (like wrk/hey/locust).")
@click.option("--duration", metavar="DURATION", help=f"Length of each attack  [default: {_default('duration')}]")
@click.option("--workers", multiple=True, metavar="W1,W2",
              help=f"Server worker counts; one server start each  [default: {_default('workers')}]")
@click.option("--server", type=click.Choice(SERVERS),
              help="gunicorn runs uvicorn workers (UvicornWorker); uvicorn-nodelay is uvicorn "
                   "--workers with TCP_NODELAY on (for uvicorn < 0.55, whose --workers N "
                   "stalls kept-alive responses)  [default: uvicorn]")
@click.option("--timeout", metavar="DURATION", help=f"Per-request timeout  [default: {_default('timeout')}]")
@click.option("--warmup", metavar="DURATION", help=f"Unrecorded load before each attack, 0 to skip  "
                               f"[default: {_default('warmup')}]")
@click.option("--idle-wait", metavar="DURATION",
              help=f"How long the server may take to go idle before an attack; then it is "
                   f"restarted  [default: {_default('idle_wait')}]")
@click.option("--start-timeout", metavar="DURATION",
              help=f"How long a started server may take to answer HTTP (an app that loads a "
                   f"model at start-up may need more)  [default: {_default('start_timeout')}]")
@click.option("--repeat", metavar="N",
              help="Run every cell N times, in N interleaved rounds, so perf compare can tell "
                   "a change from run-to-run noise  [default: 1]")
@click.option("--large-body", metavar="SIZE",
              help="Payload scenario: run each attack a second time while SIZE bodies (e.g. 25MB) "
                   "go to the same endpoint beside it; both stored as attacks of their own.")
@click.option("--large-rate", metavar="R",
              help="With --large-body: large requests per second  [default: 1]")
@click.option("--background", multiple=True, metavar="'[METHOD /path] rate=R [size=SIZE]'",
              help="Background load: run each attack again while this load goes to the server "
                   "beside it, at its own rate, with its own body size (repeatable: the loads run "
                   "together); no endpoint means the attack's own. --large-body 25MB is "
                   "\"size=25MB rate=1\".")
@click.option("--scenario", metavar="NAME",
              help=f"A preset sweep: {', '.join(SCENARIOS)} (with --quick, its short variant); "
                   f"options given here override its settings.")
@click.option("--find-capacity", is_flag=True, default=None,
              help="Per endpoint and worker count, search the highest constant rate meeting "
                   "--slo (exponential probe, then bisection) instead of attacking --rates.")
@click.option("--slo", metavar="'p99<100ms,success>=99.9%'",
              help="With --find-capacity: the bounds every attack must meet (p50/p90/p95/p99/"
                   "p999/mean/max in ms or s, success and achieved in %).")
@click.option("--max-attacks", metavar="N",
              help=f"With --find-capacity: attacks per search  [default: {_default('max_attacks')}]")
@click.option("--start-rate", metavar="R",
              help=f"With --find-capacity: the first rate tried  [default: {default_of('start_rate'):g}/s]")
@click.option("--max-rate", metavar="R",
              help=f"With --find-capacity: the highest rate tried  [default: {default_of('max_rate'):g}/s]")
@click.option("--success", metavar="2xx|2xx-3xx",
              help="Which answers count as success: 2xx-3xx (vegeta's rule; perf never follows "
                   "a redirect) or 2xx (a redirect is a failure). Every report of the run uses "
                   "it  [default: 2xx-3xx]")
@click.option("--label", metavar="TEXT", help="A name for this run (reports and compare accept it).")
@click.option("--quick", is_flag=True,
              help="About a minute: rates 20,40, 2s attacks, 1 worker (and, on target_app, a "
                   "few endpoints).")
@click.option("--no-setup", "setup", flag_value=False, default=None,
              help="Do not call the app's setup operations (x-perf-setup, e.g. a DB seed).")
@click.option("--dry-run", is_flag=True,
              help="Print the plan (every operation, the request perf will send, what is "
                   "skipped and why) and exit without attacking.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="With --dry-run: the plan as text or JSON.")
@store_option
@vegeta_option
def collect(quick: bool, dry_run: bool, fmt: str, store: str | None, vegeta: str | None,
            **options) -> None:
    """Run a load sweep with vegeta and store every result.

    Starts the app once per worker count on a free loopback port (or attaches to --url),
    reads its OpenAPI document, builds a request for every operation (examples first, else
    values generated from the schema), drives each at each rate, samples the server's CPU and
    memory, and stores every request in the DuckDB store. An operation perf cannot build is
    skipped with its reason. Settings may also come from [tool.perf] in pyproject.toml (the
    command line wins).

    \b
    Examples:
      perf collect --quick
      perf collect --app myservice.main:app --dry-run
      perf collect --app myservice.main:app --login "alice:$PASSWORD"
      perf collect --app myservice.main:app --exclude "*/admin/*" --exclude "POST /items/import*"
      perf collect --app myservice.main:create_app --factory --header "Authorization: Bearer $TOKEN"
      perf collect --filter /api/simple --rates 50,100 --duration 5s --workers 1,2
      perf collect --endpoint "GET /items" --concurrency 5,20 --server gunicorn
      perf collect --url http://127.0.0.1:8000 --pid 4242 --rates 100 --label prod-like
      perf collect --app myservice.main:app --param item_id=7 --methods GET,PUT
      perf collect --app myservice.main:app --success 2xx
      perf collect --filter /api/payload --large-body 25MB --rates 20,50
      perf collect --endpoint "POST /api/payload/ping" --background "POST /api/payload/pong size=25MB rate=1"
      perf collect --scenario payload-interference --quick
      perf collect --filter /api/simple --find-capacity --slo "p99<100ms,success>=99.9%" --workers 1,2
    """
    given = {name: value for name, value in options.items() if value not in (None, ())}
    config = pyproject_settings()
    require_target(given, config)
    settings = build_settings(given, config, quick=quick)
    progress = make_progress()
    if dry_run:
        click.echo(run_dry(settings, store, vegeta, progress, fmt), nl=False)
        return
    try:
        outcome = run_collect(settings, store, vegeta, progress)
    except Interrupted as exc:
        click.echo(f"perf: {exc}", err=True)
        sys.exit(interrupts.exit_code())  # 130 for SIGINT, 143 for SIGTERM
    kept = (f"{plural(outcome.attacks, 'attack')} kept, {outcome.spooled} of them still spooled"
            if outcome.spooled else f"{plural(outcome.attacks, 'attack')} stored")
    # Through the progress display, which fits it to the terminal like the lines above it.
    progress.message(f"run {outcome.run_id}: {kept} ({outcome.status}); "
                     f"see `perf report --run {outcome.run_id}`")


def run_dry(settings, store, vegeta, progress, fmt: str) -> str:
    from perf.collector.sweep.plan_text import render_plan

    return render_plan(dry_run(settings, store, vegeta, progress), fmt)
