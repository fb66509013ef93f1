from __future__ import annotations

import sys

import click

from collector.plan import (DEFAULT_APP, QUICK, SERVERS, Settings, parse_duration, parse_numbers,
                            parse_size, pyproject_settings)
from collector.progress import make_progress
from collector.sweep import Interrupted, collect as run_collect
from perf.errors import PerfError
from perf.options import split_list, store_option, vegeta_option

# Option name -> Settings field, for the options that [tool.perf] and --quick may also set.
_SETTABLE = {
    "app": "app", "url": "url", "filter": "filters", "endpoint": "endpoints", "rates": "rates",
    "concurrency": "concurrency", "duration": "duration_s", "workers": "workers",
    "server": "server", "timeout": "timeout_s", "warmup": "warmup_s", "label": "label",
    "idle_wait": "idle_wait_s", "large_body": "large_body", "large_rate": "large_rate",
    "repeat": "repeat",
}


@click.command()
@click.option("--app", default=DEFAULT_APP, show_default=True, metavar="IMPORT",
              help="ASGI app to serve, as MODULE:ATTRIBUTE.")
@click.option("--url", default=None,
              help="Attack a server already running on this machine (a loopback URL) instead.")
@click.option("--pid", type=int, default=None, help="With --url: the server process to sample.")
@click.option("--filter", "filters", multiple=True, metavar="PREFIX",
              help="Only paths under PREFIX, by whole segments (repeatable, comma lists).")
@click.option("--endpoint", "endpoints", multiple=True, metavar="'METHOD /path'",
              help="Only this endpoint (repeatable); a bare path means every method.")
@click.option("--rates", multiple=True, metavar="R1,R2",
              help="Constant request rates per second (open loop)  [default: 25,50,100]")
@click.option("--concurrency", multiple=True, metavar="N1,N2",
              help="Closed loop: N workers each waiting for its answer (like wrk/hey/locust).")
@click.option("--duration", default="10s", show_default=True, help="Length of each attack.")
@click.option("--workers", multiple=True, metavar="W1,W2",
              help="Server worker counts; one server start each  [default: 1,2]")
@click.option("--server", type=click.Choice(SERVERS), default="uvicorn", show_default=True,
              help="gunicorn runs uvicorn workers (UvicornWorker).")
@click.option("--timeout", default="10s", show_default=True, help="Per-request timeout.")
@click.option("--warmup", default="1s", show_default=True,
              help="Unrecorded load before each attack (0 to skip).")
@click.option("--idle-wait", default="10s", show_default=True,
              help="How long the server may take to go idle before an attack; then it is restarted.")
@click.option("--large-body", default=None, metavar="SIZE",
              help="Payload scenario: run each attack a second time while SIZE bodies (e.g. 25MB) "
                   "go to the same endpoint beside it; both stored as attacks of their own.")
@click.option("--large-rate", default="1", show_default=True, metavar="R",
              help="With --large-body: large requests per second.")
@click.option("--repeat", default="1", show_default=True, metavar="N",
              help="Run every cell N times, in N interleaved rounds, so perf compare can tell "
                   "a change from run-to-run noise.")
@click.option("--label", default=None, help="A name for this run (reports and compare accept it).")
@click.option("--quick", is_flag=True,
              help="About a minute: a few endpoints, rates 20,40, 2s attacks, 1 worker.")
@click.option("--no-setup", is_flag=True, help="Do not call the app's setup routes (DB seed).")
@store_option
@vegeta_option
@click.pass_context
def collect(ctx: click.Context, **opts) -> None:
    """Run a load sweep with vegeta and store every result.

    Starts the app once per worker count on a free loopback port, drives each endpoint found
    in its /openapi.json at each rate, samples the server's CPU and memory, and stores every
    request in the DuckDB store. Settings may also come from [tool.perf] in pyproject.toml
    (the command line wins).

    \b
    Examples:
      perf collect --quick
      perf collect --filter /api/simple --rates 50,100 --duration 5s --workers 1,2
      perf collect --endpoint "GET /items" --concurrency 5,20 --server gunicorn
      perf collect --url http://127.0.0.1:8000 --pid 4242 --rates 100 --label prod-like
      perf collect --filter /api/payload --large-body 25MB --rates 20,50
    """
    settings = build_settings(ctx, opts)
    try:
        outcome = run_collect(settings, opts["store"], opts["vegeta"], make_progress())
    except Interrupted as exc:
        click.echo(f"perf: {exc}", err=True)
        sys.exit(130)
    click.echo(f"run {outcome.run_id}: {outcome.attacks} attacks stored ({outcome.status}); "
               f"see `perf report --run {outcome.run_id}`", err=True)


def build_settings(ctx: click.Context, opts: dict) -> Settings:
    """Defaults < [tool.perf] < --quick < options given on the command line."""
    raw: dict = {}
    config = pyproject_settings()
    unknown = set(config) - set(_SETTABLE)
    if unknown:
        raise PerfError(f"[tool.perf] has unknown keys: {', '.join(sorted(unknown))}")
    for key, field_name in _SETTABLE.items():
        if key in config:
            raw[field_name] = config[key]
    if opts["quick"]:
        raw.update(QUICK)
    for key, field_name in _SETTABLE.items():
        source = ctx.get_parameter_source(_param_name(key))
        value = opts[_param_name(key)]
        if source is not click.core.ParameterSource.DEFAULT and value not in ((), None):
            raw[field_name] = value
    defaults = Settings()
    settings = Settings(pid=opts["pid"], setup=not opts["no_setup"])
    settings.app = raw.get("app", defaults.app)
    settings.url = raw.get("url")
    settings.filters = split_list(raw.get("filters", []))
    settings.endpoints = [e.strip() for e in _as_list(raw.get("endpoints", [])) if e.strip()]
    settings.server = raw.get("server", defaults.server)
    settings.label = raw.get("label")
    settings.duration_s = parse_duration(raw.get("duration_s", defaults.duration_s), "--duration")
    settings.timeout_s = parse_duration(raw.get("timeout_s", defaults.timeout_s), "--timeout")
    settings.warmup_s = parse_duration(raw.get("warmup_s", defaults.warmup_s), "--warmup", allow_zero=True)
    settings.idle_wait_s = parse_duration(raw.get("idle_wait_s", defaults.idle_wait_s), "--idle-wait",
                                          allow_zero=True)
    concurrency = split_list(_as_list(raw.get("concurrency", [])))
    rates = split_list(_as_list(raw.get("rates", [])))
    if concurrency and opts["rates"]:
        raise PerfError("use either --rates (open loop) or --concurrency (closed loop), not both")
    settings.concurrency = parse_numbers(concurrency, "--concurrency", int)
    settings.rates = [] if settings.concurrency else (
        parse_numbers(rates, "--rates") if rates else defaults.rates)
    settings.workers = parse_numbers(split_list(_as_list(raw.get("workers", []))), "--workers", int) \
        or defaults.workers
    if raw.get("large_body") not in (None, ""):
        settings.large_body = parse_size(raw["large_body"])
    settings.large_rate = parse_numbers([raw.get("large_rate", defaults.large_rate)],
                                        "--large-rate")[0]
    settings.repeat = parse_numbers([raw.get("repeat", defaults.repeat)], "--repeat", int)[0]
    if not settings.url and opts["pid"] is not None:
        raise PerfError("--pid only applies with --url (perf samples the servers it starts itself)")
    return settings


def _param_name(key: str) -> str:
    return {"filter": "filters", "endpoint": "endpoints"}.get(key, key)


def _as_list(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)] if value not in (None, "") else []
