"""perf collect's settings: one table merged from defaults, [tool.perf], --quick and the command
line, every value checked (and named by where it came from) before anything starts."""

from __future__ import annotations

import math

import pytest

from perf.collector.settings.secrets import mask
from perf.collector.settings.settings import build_settings, pyproject_settings
from perf.cli.commands.collect import collect
from perf.base.errors import PerfError


def _cli(args: list[str], tmp_path, monkeypatch, pyproject: str | None = None):
    """Settings exactly as `perf collect ARGS` builds them in a project with this pyproject."""
    monkeypatch.chdir(tmp_path)
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    ctx = collect.make_context("collect", list(args))
    params = dict(ctx.params)
    quick = params.pop("quick")
    for name in ("dry_run", "fmt", "store", "vegeta"):
        params.pop(name)
    given = {k: v for k, v in params.items() if v not in (None, ())}
    return build_settings(given, pyproject_settings(), quick=quick)


def test_precedence_defaults_pyproject_quick_cli(tmp_path, monkeypatch):
    s = _cli([], tmp_path, monkeypatch)
    assert (s.rates, s.workers, s.duration_s, s.server, s.methods) == (
        [25.0, 50.0, 100.0], [1, 2], 10.0, "uvicorn", ["GET", "POST", "PUT", "PATCH"])
    conf = ('[tool.perf]\nrates = [10, 20]\nworkers = "4"\nduration = "3s"\n'
            'filter = ["/api/simple"]\nidle-wait = "2s"\n')
    s = _cli([], tmp_path, monkeypatch, conf)
    assert (s.rates, s.workers, s.duration_s, s.filters, s.idle_wait_s) == (
        [10, 20], [4], 3.0, ["/api/simple"], 2.0)
    s = _cli(["--rates", "7", "--duration", "1s"], tmp_path, monkeypatch, conf)
    assert (s.rates, s.workers, s.duration_s) == ([7], [4], 1.0)
    s = _cli(["--quick"], tmp_path, monkeypatch, conf)
    assert (s.duration_s, s.rates, s.workers) == (2.0, [20.0, 40.0], [1])
    s = _cli(["--quick", "--workers", "2"], tmp_path, monkeypatch)
    assert s.workers == [2] and s.duration_s == 2.0


def test_quick_keeps_its_target_app_filters_off_other_apps(tmp_path, monkeypatch):
    assert _cli(["--quick"], tmp_path, monkeypatch).filters  # target_app: a few endpoints
    own = _cli(["--quick", "--app", "myservice.main:app"], tmp_path, monkeypatch)
    assert own.filters == [] and own.duration_s == 2.0


def test_a_later_source_switches_the_mode(tmp_path, monkeypatch):
    s = _cli(["--concurrency", "5,10"], tmp_path, monkeypatch, "[tool.perf]\nrates = [10]\n")
    assert s.mode == "concurrency" and s.loads == [5, 10] and s.rates == []
    s = _cli(["--rates", "30"], tmp_path, monkeypatch, "[tool.perf]\nconcurrency = 4\n")
    assert s.mode == "rate" and s.loads == [30]


@pytest.mark.parametrize("args, pyproject, message", [
    (["--rates", "5", "--concurrency", "5"], None, "either --rates (open loop) or --concurrency"),
    ([], "[tool.perf]\nrates = [5]\nconcurrency = [2]\n", "[tool.perf] sets both rates and concurrency"),
    ([], "[tool.perf]\nratez = 5\n", "unknown keys: ratez"),
    ([], "[tool.perf]\nfilter = 5\n", "bad [tool.perf] filter 5"),
    ([], "[tool.perf]\nworkers = [1.5]\n", "bad [tool.perf] workers value '1.5': expected a whole number"),
    ([], "[tool.perf]\nduration = true\n", "bad [tool.perf] duration True"),
    ([], "[tool.perf]\nheader = 'Authorization'\n", 'expected "Name: value"'),
    ([], "[tool.perf]\npid = 4\n", "unknown keys: pid"),
    (["--rates", "nan"], None, "bad --rates value 'nan': expected a finite number"),
    (["--rates", "inf"], None, "expected a finite number"),
    (["--rates", "1e-9"], None, "the lowest rate vegeta can offer"),
    (["--rates", "0.0001"], None, "the lowest rate vegeta can offer"),
    (["--rates", "0.05", "--duration", "10s"], None, "would send no request"),
    (["--rates", ""], None, "expected at least one rate"),
    (["--duration", "0.0001s"], None, "bad --duration '0.0001s': at least 0.1s"),
    (["--duration", "10"], None, None),  # a bare number is seconds
    (["--timeout", "1x"], None, "use a number with a unit"),
    (["--workers", "0"], None, "must be greater than zero"),
    (["--repeat", "2.5"], None, "expected a whole number"),
    (["--methods", "GET,FETCH"], None, "bad --methods 'GET,FETCH': use a comma-separated list"),
    (["--header", "no colon"], None, 'expected "Name: value"'),
    (["--header", "Bad Name: x"], None, 'expected "Name: value"'),
    (["--param", "novalue"], None, "expected name=value"),
    (["--health-path", "healthz"], None, "expected a path starting with /"),
    (["--app", "not-a-module"], None, "expected MODULE:ATTRIBUTE"),
    (["--app-dir", "/no/such/dir"], None, "no such directory"),
    (["--targets", "/no/such/file"], None, "no such file"),
    (["--python", "/no/python"], None, "not an executable interpreter"),
    (["--pid", "4"], None, "--pid only applies with --url"),
    (["--url", "http://127.0.0.1:8000", "--app", "x:app"], None, "not both"),
    (["--url", "http://127.0.0.1:8000", "--factory"], None, "with --url the server is already running"),
    (["--url", "http://10.0.0.1:8000"], None, "only sends load to this machine's loopback"),
    (["--large-body", "1MB", "--targets", __file__], None, "with --targets there is none"),
    (["--large-rate", "0"], None, "must be greater than zero"),
    (["--label", "latest~1"], None,
     "bad --label 'latest~1': `--run latest~1` means the run 1 before the latest, never this label"),
    ([], "[tool.perf]\nlabel = 'latest'\n",
     "bad [tool.perf] label 'latest': `--run latest` means the latest run"),
])
def test_bad_values_are_named_by_where_they_came_from(args, pyproject, message, tmp_path,
                                                      monkeypatch):
    if message is None:
        assert _cli(args, tmp_path, monkeypatch, pyproject).duration_s == 10.0
        return
    with pytest.raises(PerfError) as caught:
        _cli(args, tmp_path, monkeypatch, pyproject)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_headers_params_and_methods(tmp_path, monkeypatch):
    monkeypatch.setenv("PERF_TEST_TOKEN", "abc123")
    s = _cli(["--header", "X-Token: fake-super-secret", "--param", "item_id=7",
              "--param", "q=a=b", "--methods", "get,delete"], tmp_path, monkeypatch,
             "[tool.perf]\nheader = ['Authorization: Bearer ${PERF_TEST_TOKEN}']\n")
    assert s.headers == [("X-Token", "fake-super-secret")]  # the command line replaces the list
    assert s.params == [("item_id", "7"), ("q", "a=b")]
    assert s.methods == ["GET", "DELETE"]
    s = _cli([], tmp_path, monkeypatch)
    assert s.headers == [("Authorization", "Bearer abc123")]  # ${VAR} from the environment


def test_an_unset_variable_in_a_header_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv("PERF_TEST_UNSET", raising=False)
    with pytest.raises(PerfError) as caught:
        _cli([], tmp_path, monkeypatch, "[tool.perf]\nheader = ['X-Token: ${PERF_TEST_UNSET}']\n")
    assert str(caught.value) == ("bad [tool.perf] header: ${PERF_TEST_UNSET} names environment "
                                 "variable PERF_TEST_UNSET, which is not set")
    (tmp_path / "pyproject.toml").unlink()
    with pytest.raises(PerfError, match=r"^bad --header: \$PERF_TEST_UNSET names environment "):
        _cli(["--header", "X-Token: $PERF_TEST_UNSET"], tmp_path, monkeypatch)
    monkeypatch.setenv("PERF_TEST_UNSET", "")  # set, if empty: the user's choice
    assert _cli(["--header", "X-Token: a${PERF_TEST_UNSET}b"], tmp_path, monkeypatch).headers == [
        ("X-Token", "ab")]


def test_header_values_never_reach_the_stored_config(tmp_path, monkeypatch):
    s = _cli(["--header", "Authorization: Bearer eyJhbGciOi.secret", "--header",
              "X-Token: hunter2"], tmp_path, monkeypatch)
    config = s.to_config()
    text = repr(config)
    assert "eyJhbGciOi" not in text and "hunter2" not in text
    assert config["headers"] == ["Authorization: Bearer ***", "X-Token: ***"]
    assert mask("hunter2") == "***"


def test_durations_are_finite_and_rates_exact(tmp_path, monkeypatch):
    s = _cli(["--rates", "12.5,0.5/s", "--duration", "4s", "--warmup", "0"], tmp_path,
             monkeypatch)
    assert s.rates == [12.5, 0.5] and s.warmup_s == 0.0
    assert all(math.isfinite(r) for r in s.rates)


def test_the_secrets_of_the_settings_are_one_set():
    from perf.collector.settings.settings import Settings
    from perf.collector.settings.secrets import Masker, looks_secret, secret_values

    settings = Settings(headers=[("Authorization", "Bearer tok-123"), ("X-Env", "staging")],
                        params=[("password", "hunter22"), ("api_key", "k-456"),
                                ("item_id", "42"), ("session_id", "s-789")])
    assert settings.secrets == ("Bearer tok-123", "tok-123", "staging", "hunter22", "k-456",
                                "s-789")
    assert settings.secrets == secret_values(settings.headers, settings.params)
    assert [looks_secret(n) for n in ("Cookie", "passwd", "X-API-Key", "apikey", "credentials",
                                      "item_id", "q")] == [True] * 5 + [False] * 2
    # runs.config: a secret parameter is masked like a header value
    assert settings.to_config()["params"] == ["password=***", "api_key=***", "item_id=42",
                                              "session_id=***"]
    masker = Masker(settings.secrets)
    assert masker.text("Bearer tok-123 / hunter22 / pw=hunter22%21 / 42") == \
        "Bearer *** / *** / pw=***%21 / 42"
    assert masker.bytes(b'{"a":"tok-123"}') == b'{"a":"***"}'


def test_login_needs_the_document_and_a_login_route_needs_a_login():
    import pytest
    from perf.base.errors import PerfError
    from perf.collector.settings.settings import build_settings

    with pytest.raises(PerfError, match="--login finds where to log in"):
        build_settings({"login": "a:b", "targets": __file__})
    with pytest.raises(PerfError, match="add --login USER:PASSWORD"):
        build_settings({"login_route": "POST /token"})
    with pytest.raises(PerfError, match="expected USER:PASSWORD"):
        build_settings({"login": "nopassword"})
    assert build_settings({"login": "alice:pw:with:colons"}).login == ("alice", "pw:with:colons")
    assert build_settings({"login": "alice:secret"}).to_config()["login"] == "alice:***"


def test_an_app_must_be_named_on_the_command_line_or_in_pyproject():
    from perf.collector.settings.settings import require_target

    with pytest.raises(PerfError, match=r"^which app\? pass --app MODULE:ATTR"):
        require_target({"quick": True}, {"rates": [10]})
    require_target({"app": "svc.main:app"}, {})
    require_target({"url": "http://127.0.0.1:8000"}, {})
    require_target({}, {"app": "svc.main:app"})
