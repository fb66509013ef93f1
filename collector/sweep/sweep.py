"""`perf collect`: the whole measurement, from plan to stored rows.

One server start per (server kind, worker count), each checked for kept-alive stalls first
(collector/server/selfcheck.py); every endpoint x load runs against it (alone, then inside the
background mix when there is one: collector/load/background.py), or a capacity search per endpoint
(collector/load/capacity.py). Each attack is spooled to disk the moment it ends and stored from there
(collector/storage/spool.py), so a busy store never stops the sweep. Whatever happens (error, Ctrl-C,
SIGTERM, any number of them) the run is marked and every child process group is stopped.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from perf.collector.server import processes, target as targeting
from perf.collector.storage import scratch
from perf.collector.load.attack import AttackResult, run_attack
from perf.collector.load.background import (BackgroundAttack, background_name, check_body_room,
                                            foreground_name, mix_label)
from perf.collector.load.capacity import Capacity, find_capacity
from perf.collector.settings.slo import parse_slo
from perf.collector.requests.discovery import Discovery, Endpoint
from perf.collector.sweep.failed_operations import report_failures
from perf.collector.requests.failure_facts import failure_facts
from perf.collector.storage.attacks import generator_verdict, results_metrics
from perf.collector.requests.payload import write_body
from perf.collector.settings.settings import size_text
from perf.collector.settings.settings import Settings
from perf.collector.storage.records import AttackRecord
from perf.collector.storage.run_rows import run_ids, run_row
from perf.collector.settings.secrets import Masker
from perf.collector.sweep.learn_ids import learn_ids
from perf.collector.sweep.quick_budget import fit_quick
from perf.collector.sweep.login_session import LoginSession
from perf.collector.sweep.login_feed import feed_for, renewal_note
from perf.collector.sweep.progress_text import check_line, summary_line
from perf.collector.sweep.shape import (background_loads, load_seconds, plan_words, planned_attacks,
                                        resolve_mixes)
from perf.collector.server.selfcheck import KeepAliveCheck, check_keepalive
from perf.collector.server.server import Server, http_call
from perf.collector.storage.spool import count_attacks, describe
from perf.collector.storage.store_writer import StoreWriter
from perf.collector.load.vegeta import find_vegeta, vegeta_version
from perf.base import interrupts
from perf.base.text import load_label
from perf.base.errors import PerfError, file_error
from perf.store.runref import check_label
from perf.store.database import StoreBusy, open_store, resolve_store, writer_lock
from perf.base.text import plural


MAX_TARGETS = 20_000  # distinct requests per attack file; vegeta cycles through them


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a sweep; carries what was kept."""

    def __init__(self, run_id: str | None, attacks: int, status: str | None = "partial",
                 spooled: int = 0):
        """`spooled`: how many of the `attacks` kept still wait in the spool."""
        if run_id is None:
            text = "interrupted before the run began; nothing was stored"
        else:
            marked = "marked partial" if status == "partial" else f"run {status}"
            still = f" ({spooled} still spooled)" if spooled else ""
            text = (f"interrupted: run {run_id} kept {plural(attacks, 'finished attack')}"
                    f"{still}, {marked}")
        super().__init__(text)
        self.run_id, self.attacks = run_id, attacks


@dataclass
class Outcome:
    run_id: str
    attacks: int  # finished attacks kept (stored, or spooled)
    status: str
    spooled: int = 0  # of those attacks, how many still wait in the spool for the store


def _run_setup(base: str, setup: list[Endpoint], progress) -> None:
    """The app's x-perf-setup operations (a DB seed), once per server start. One that fails
    is reported, not fatal: the attacks will show what it meant."""
    for endpoint in setup:
        method, url, headers, body = endpoint.first_request(base)
        try:
            status = http_call(method, url, headers, body)
        except OSError as exc:
            progress.message(f"setup: {endpoint.name} failed: {exc}; going on")
            continue
        note = "" if 200 <= status < 300 else "; going on"
        progress.message(f"setup: {endpoint.name} -> {status}{note}")


def _create_run(writer: StoreWriter, settings: Settings, vegeta_path: Path, target: str,
                found: Discovery) -> str:
    config = {**settings.to_config(), "vegeta": str(vegeta_path),
              "skipped": [{"endpoint": s.name, "reason": s.reason} for s in found.skipped],
              **({"failure_facts": facts} if (facts := failure_facts(found)) else {})}
    return writer.start_run(run_row(status="running", label=settings.label, target=target,
                                    config=config, vegeta_version=vegeta_version(vegeta_path)))


def _finish_run(sweep: "_Sweep", status: str) -> None:
    if sweep.writer is not None:
        sweep.writer.finish_run(status, datetime.now(timezone.utc))


@dataclass
class _Sweep:
    """What every attack of one run shares."""

    settings: Settings
    target: targeting.Target
    store: Path
    vegeta: Path
    scratch: Path
    log_dir: Path
    progress: object
    found: Discovery | None = None
    run_id: str | None = None
    stored: int = 0  # finished attacks kept (stored or spooled)
    attacks_started: int = 0
    writer: StoreWriter | None = None
    foreground: AttackRecord | None = None  # the last foreground attack kept (see _store)
    repeat_index: int = 0
    server: Server | None = None
    large_bodies: dict[tuple, Path] = field(default_factory=dict)  # (endpoint, size) -> body file
    bodies_built: int = 0  # names each body file (a file that went is never reused)
    check: KeepAliveCheck | None = None  # the self-check of the running server's start
    check_kept: bool = False  # handed to the store writer (it needs the run first)
    index: int = 0  # the progress display's attack counter
    login: LoginSession | None = None  # --login: the user perf is logged in as
    set_up_server: Server | None = None  # the server start setup_and_login last ran for

    def __post_init__(self) -> None:
        # Masks what perf sends as a secret in every results file (collector/load/results_filter.py).
        self.masker = Masker(self.settings.secrets)

    def start_server(self, workers: int | None) -> None:
        s = self.settings
        if s.url:
            self.progress.message(f"attaching to {s.url}" + (f" (pid {s.pid})" if s.pid else "")
                                  + " ...")
        else:
            self.progress.message(f"starting {s.server} ({plural(workers, 'worker')}) ...")
        self.server = targeting.start(s, self.target, workers, self.log_dir)
        self.self_check()

    def self_check(self) -> None:
        """The keep-alive probe on the readiness route, at every server start: a server that
        holds kept-alive responses ~40 ms distorts every latency measured on it."""
        server = self.server
        self.check = check_keepalive(server.ready_url, server.kind, server.workers,
                                     uvicorn_version=self.target.uvicorn_version)
        self.check_kept = False
        self.progress.message(check_line(self.check, server, self.target.uvicorn_version))
        self.keep_check()

    def keep_check(self) -> None:
        if self.check is not None and not self.check_kept and self.run_id is not None:
            self.writer.put_check(self.server.kind, self.server.workers, self.check)
            self.check_kept = True

    @property
    def base(self) -> str:
        return targeting.base_url(self.server, self.found)

    def run_setup(self) -> None:
        self.setup_and_login()
        self.learn_ids()

    def setup_and_login(self) -> None:
        """Once per server start (collect calls it before storing the run, so a refused login
        stores nothing; run_setup then finds it done)."""
        if self.set_up_server is self.server:
            return
        self.set_up_server = self.server
        if self.settings.setup and self.found.setup:
            _run_setup(self.base, self.found.setup, self.progress)
        if self.settings.login and self.found.login is not None:
            first = self.login is None
            if first:
                self.login = LoginSession(self.found.login, *self.settings.login,
                                          self.found.probe_path)
            self.login.log_in(self.base)
            # The token is a secret as soon as it exists: masked in every results file.
            self.masker = Masker((*self.settings.secrets, *self.login.secrets))
            if first:
                self.progress.message(self.login.describe())
                note = renewal_note(self.login, max(self.settings.duration_s, self.settings.warmup_s))
                if note:
                    self.progress.message(note)

    def learn_ids(self) -> None:
        """Ids that exist, for the path parameters no --param names, at every server start
        (a restarted app may hold other rows)."""
        if self.found.spec is None:
            return
        keep = {self.found.login_endpoint} if self.found.login_endpoint else set()
        learned = learn_ids(self.found, self.found.spec, self.found.wanted, self.base,
                            self.auth(0), creates=True, keep=keep,
                            salt=f"{self.run_id}-learn-{self.attacks_started}")
        if learned:
            self.progress.message("ids that exist: " + ", ".join(
                f"{got.name}={got.value} (from {got.source})" for got in learned))

    def auth(self, seconds_ahead: float) -> dict[str, str] | None:
        """The logged-in user's headers for requests sent over the next `seconds_ahead`."""
        if self.login is None:
            return None
        headers = self.login.headers(self.base, seconds_ahead)
        self.masker = Masker((*self.settings.secrets, *self.login.secrets))
        return headers

    def ensure_idle(self) -> None:
        """A server still busy with the last attack's backlog would skew the next one. One
        that died (killed, or the app exited) is said so at once, with the cause its log
        gives, rather than waited for as if it were busy."""
        wait = self.settings.idle_wait_s
        code, when = self.server.exit_code(), "during the last attack"
        if code is None:
            if self.server.wait_idle(wait):
                return
            code, when = self.server.exit_code(), "after the last attack"
        if self.server.kind == "external":
            self.progress.message(f"warning: {self.server.base_url} is not idle after {wait:g}s")
            return
        if code is not None:
            self.progress.message(f"{self.server.exit_note(code, when)}; restarting it")
        else:
            self.progress.message(f"{self.server.kind} not idle after {wait:g}s: restarting it")
        self.server.stop()
        self.start_server(self.server.workers)
        self.run_setup()

    def attack(self, endpoint: Endpoint, load: float, workers: int | None) -> None:
        s = self.settings
        targets = self._ready_targets(endpoint, load)
        title = self._title(endpoint.name, load, workers)
        self._warm_up(endpoint, s.mode, load)
        self.index += 1
        self.progress.attack_started(self.index, title, s.duration_s)
        result = self._measure(targets, s.mode, load)
        _, line = self._store(
            self._attack_row(endpoint.name, endpoint, workers, s.mode, load, result), result)
        self.progress.attack_done(f"{title}: {line}", s.duration_s + s.warmup_s)

    def mixed_attack(self, endpoint: Endpoint, load: float, workers: int | None,
                     mix: list[BackgroundAttack]) -> None:
        """The attack again, while every load of the mix goes to the server beside it, each its
        own vegeta at its own rate (open loop) for the same duration. Stored: the foreground
        (with the server's samples of the whole mix) and one background attack per load
        (load-generator samples only), named as collector/load/background.py says."""
        s = self.settings
        fg_name = foreground_name(endpoint, mix)
        label = mix_label(mix)
        targets = self._ready_targets(endpoint, load)
        bodies = self._large_bodies(mix)
        beside = []
        for n, load_of in enumerate(mix):
            bg_targets = load_of.endpoint.write_targets(
                self.base, self.scratch / f"background-{n}-targets.jsonl",
                count=self._count("rate", load_of.rate),
                salt=f"{self.run_id}-{self.attacks_started}-background-{n}",
                with_body=load_of.size is None, auth=self.auth(s.duration_s))
            body = bodies.get(n)
            feed = feed_for(self.login, self.base, bg_targets, s.duration_s, self.masker)
            beside.append(_Background(lambda t=bg_targets, r=load_of.rate, b=body, n=n, f=feed: run_attack(
                self.vegeta, t, self.scratch / f"background-{n}.csv", mode="rate", load=r,
                duration_s=s.duration_s, timeout_s=s.timeout_s, server_pid=None, body=b,
                masker=self.masker, feed=f, success=s.success)))
        title = self._title(fg_name, load, workers)
        self.index += 1
        self.progress.attack_started(self.index, title, s.duration_s)
        result = self._measure(targets, s.mode, load)
        results = [b.result(timeout_s=s.timeout_s + 30) for b in beside]
        fg_id, line = self._store(
            self._attack_row(fg_name, endpoint, workers, s.mode, load, result).but(
                role="foreground", background=label), result)
        lines = [line]
        load_text = load_label(s.mode, load)
        for load_of, bg_result in zip(mix, results):
            _, bg_line = self._store(
                self._attack_row(background_name(load_of, endpoint, load_text), load_of.endpoint,
                                 workers, "rate", load_of.rate, bg_result).but(
                    role="background", background=label, foreground_id=fg_id), bg_result)
            lines.append(f"{load_of.label}: {bg_line}")
        self.progress.attack_done(f"{title}: {'; '.join(lines)}", s.duration_s)

    def search_capacity(self, endpoint: Endpoint, workers: int | None) -> Capacity:
        """The highest rate meeting the SLO (collector/load/capacity.py), each attack stored as usual
        (rate mode), then the result with the attacks that decided it."""
        s = self.settings
        slo = parse_slo(s.slo)
        records: list[AttackRecord | None] = []

        def measure(rate: float) -> dict:
            targets = self._ready_targets(endpoint, rate, "rate")
            title = self._title(endpoint.name, rate, workers, "rate")
            self._warm_up(endpoint, "rate", rate)
            self.index += 1
            self.progress.attack_started(self.index, title, s.duration_s)
            result = self._measure(targets, "rate", rate)
            # Judged from the results file, before the spool takes it: a busy store must not
            # hold the search up.
            metrics = {**results_metrics(result.csv_path, s.success), "target_rate": rate}
            loadgen = [x.cpu_percent for x in result.samples if x.process == "loadgen"]
            metrics["generator_ok"] = generator_verdict(
                "rate", rate, metrics["sent_rate"], max(loadgen) if loadgen else None)[0]
            record = self._attack_row(endpoint.name, endpoint, workers, "rate", rate, result)
            attack_id, line = self._store(record, result)
            records.append(record)
            missed = slo.failures(metrics)
            verdict = "meets the SLO" if not missed else "misses the SLO: " + "; ".join(missed)
            self.progress.attack_done(f"{title}: {line}; {verdict}", s.duration_s + s.warmup_s)
            return {**metrics, "attack_id": attack_id}

        found = find_capacity(measure, slo, start_rate=s.start_rate, max_attacks=s.max_attacks,
                              min_rate=min(s.start_rate, max(0.5, 1 / s.duration_s)),
                              max_rate=s.max_rate)
        self.writer.put_capacity(endpoint.name, self.server.kind, workers, found,
                                 {i: r for i, r in enumerate(records) if r is not None})
        rate = f"{found.rate:g}/s" if found.rate is not None else "none"
        self.progress.message(f"capacity of {endpoint.name} [{self.server.kind} "
                              f"w{workers or '?'}] under {found.slo}: {rate} ({found.note})")
        return found

    def _ready_targets(self, endpoint: Endpoint, load: float, mode: str | None = None) -> Path:
        """Wait for an idle server, then write the targets: they carry the server's address,
        which changes when ensure_idle restarted it, and fresh values for fields that must be
        unique (a new salt per attack, so creates never collide with an earlier attack's)."""
        self.ensure_idle()
        self.attacks_started += 1
        s = self.settings
        return endpoint.write_targets(self.base, self.scratch / "targets.jsonl",
                                      count=self._count(mode or s.mode, load),
                                      salt=f"{self.run_id}-{self.attacks_started}",
                                      auth=self.auth(s.warmup_s + s.duration_s))

    def _count(self, mode: str, load: float) -> int:
        """Distinct requests to write: enough for the whole attack, warm-up included, at an
        open-loop rate; a closed loop's pace is unknown, so a generous fixed number."""
        s = self.settings
        if mode == "rate":
            return min(MAX_TARGETS, max(1, math.ceil(load * (s.duration_s + s.warmup_s) * 1.1)))
        return MAX_TARGETS

    def _title(self, name: str, load: float, workers: int | None, mode: str | None = None) -> str:
        repeat = (f" #{self.repeat_index + 1}/{self.settings.repeat}"
                  if self.settings.repeat > 1 else "")
        return (f"{name} @ {load_label(mode or self.settings.mode, load)} "
                f"[{self.server.kind} w{workers or '?'}]{repeat}")

    def _warm_up(self, endpoint: Endpoint, mode: str, load: float) -> None:
        """Warm the route up with requests of its own: salted apart from the attack's, so no
        create the attack sends repeats one the warm-up made (a unique field would collide)."""
        s = self.settings
        if s.warmup_s > 0:
            targets = endpoint.write_targets(
                self.base, self.scratch / "warmup-targets.jsonl",
                count=self._count(mode, load), salt=f"{self.run_id}-{self.attacks_started}-warmup",
                auth=self.auth(s.warmup_s))
            run_attack(self.vegeta, targets, self.scratch / "warmup.csv", mode=mode, load=load,
                       duration_s=s.warmup_s, timeout_s=s.timeout_s, server_pid=None,
                       masker=self.masker, success=s.success,
                       feed=feed_for(self.login, self.base, targets, s.warmup_s, self.masker))

    def _measure(self, targets: Path, mode: str, load: float) -> AttackResult:
        """The recorded attack: its mode and the settings' duration, the server's tree sampled."""
        s = self.settings
        try:
            return run_attack(self.vegeta, targets, self.scratch / "attack.csv", mode=mode,
                              load=load, duration_s=s.duration_s, timeout_s=s.timeout_s,
                              server_pid=self.server.pid, on_tick=self.progress.tick,
                              masker=self.masker, success=s.success,
                              feed=feed_for(self.login, self.base, targets, s.duration_s, self.masker))
        finally:
            # The next idle check's CPU window runs while this attack is stored.
            self.server.open_cpu_window()

    def _large_bodies(self, mix: list[BackgroundAttack]) -> dict[int, Path]:
        """The body file of each sized load of the mix, by its index. Grown once per endpoint
        and size while consecutive mixes need it (25 MB take about a second to build); the
        files of an earlier mix go first, so the scratch folder holds one mix's bodies at
        most, as check_body_room counted them."""
        wanted = {(load.endpoint.name, load.size) for load in mix if load.size is not None}
        for key in [key for key in self.large_bodies if key not in wanted]:
            self.large_bodies.pop(key).unlink(missing_ok=True)
        bodies = {}
        for n, load in enumerate(mix):
            if load.size is None:
                continue
            key = (load.endpoint.name, load.size)
            if key not in self.large_bodies:
                path = self.scratch / f"large-body-{self.bodies_built}.json"
                self.bodies_built += 1
                try:
                    write_body(load.endpoint.body_example, load.size, path)
                except OSError as exc:
                    path.unlink(missing_ok=True)
                    raise file_error(f"cannot write the {size_text(load.size)} body of "
                                     f"{load.endpoint.name} in {self.scratch}", exc) from None
                self.large_bodies[key] = path
            bodies[n] = self.large_bodies[key]
        return bodies

    def _attack_row(self, name: str, endpoint: Endpoint, workers: int | None, mode: str,
                    load: float, result: AttackResult) -> AttackRecord:
        return AttackRecord(
            run_id=self.run_id, endpoint=name, method=endpoint.method, path=endpoint.path,
            server=self.server.kind, workers=workers, mode=mode,
            target_rate=load if mode == "rate" else None,
            concurrency=int(load) if mode == "concurrency" else None,
            duration_s=self.settings.duration_s, started_at=result.started_at,
            finished_at=result.finished_at, repeat_index=self.repeat_index,
        )

    def _store(self, attack: AttackRecord, result: AttackResult) -> tuple[int | None, str]:
        """Hand a finished attack to the spool/store path: (its attack_id, None while it waits
        in the spool; the progress line). A background attack whose foreground is still
        spooled gets its foreground_id when both are stored, from the foreground's record."""
        if attack.role == "foreground":
            self.foreground = attack
        foreground = self.foreground if attack.role == "background" else None
        attack_id, line = self.writer.put_attack(attack, result.csv_path, result.samples,
                                                 foreground=foreground, check=self.check,
                                                 written=result.results)
        self.stored += 1
        return attack_id, line


class _Background:
    """A blocking call run on a thread, its result or error collected later. Ctrl-C lands on
    the main thread; the sweep's cleanup then stops the call's vegeta, which ends the thread."""

    def __init__(self, call):
        self._outcome: list = []
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call) -> None:
        try:
            self._outcome.append((True, call()))
        except BaseException as exc:  # handed to the caller of result()
            self._outcome.append((False, exc))

    def result(self, timeout_s: float):
        self._thread.join(timeout_s)
        if not self._outcome:
            raise PerfError(f"a background attack did not finish within {timeout_s:g}s of the "
                            f"foreground one")
        ok, value = self._outcome[0]
        if not ok:
            raise value
        return value


def _announce(found: Discovery, progress) -> None:
    """The plan in a few lines: what will be attacked, what was left out and why."""
    progress.message(f"{plural(len(found.endpoints), 'operation')} to attack: "
                     + ", ".join(e.name for e in found.endpoints[:6])
                     + (f", and {len(found.endpoints) - 6} more" if len(found.endpoints) > 6 else ""))
    for skipped in found.skipped:
        progress.message(f"skipped {skipped.name}: {skipped.reason}")


def collect(settings: Settings, store: str | None, vegeta: str | None, progress) -> Outcome:
    vegeta_path = find_vegeta(vegeta)
    target = targeting.locate(settings)
    store_path = resolve_store(store)
    worker_counts: list[int | None] = [None] if settings.url else list(settings.workers)
    with writer_lock(store_path, "collect"):  # held until the store writer has stopped
        _check_label(settings.label, store_path)
        previous_handlers = interrupts.install()  # SIGINT and SIGTERM stop a sweep alike
        with interrupts.held():  # the scratch folder exists only once the cleanup knows it
            scratch.remove_stale()  # those of perfs killed outright, which could not
            sweep = _Sweep(settings, target, store_path, vegeta_path, scratch.make("collect"),
                           store_path.parent / "logs", progress)
        status, spooled, error = "complete", [], None
        try:
            interrupts.raise_pending()
            # Before any server starts or run is written: a body this machine cannot hold
            # fails here, not as a MemoryError mid-sweep.
            check_body_room(background_loads(settings), sweep.scratch)
            sweep.writer = StoreWriter(store_path, progress.message, summary_line).begin()
            sweep.start_server(worker_counts[0])
            sweep.found = found = targeting.operations(settings, target, sweep.server)
            quick_note = fit_quick(settings, found, len(worker_counts), load_seconds)
            endpoints = found.endpoints
            loads_beside = background_loads(settings)
            mixes = resolve_mixes(settings, target, sweep.server, endpoints)
            _announce(found, progress)
            if quick_note:
                progress.message(quick_note)
            sweep.setup_and_login()  # a refused login ends collect here: no run stored
            sweep.run_id = _create_run(sweep.writer, settings, vegeta_path,
                                       settings.url or settings.app, found)
            sweep.keep_check()
            total, _, planned_s = planned_attacks(settings, len(endpoints), len(worker_counts))
            progress.start(total, planned_s)
            progress.message(f"run {sweep.run_id}: {plan_words(settings, endpoints, worker_counts)}"
                             f" -> {store_path}")
            for n, workers in enumerate(worker_counts):
                if n > 0:
                    sweep.server.stop()
                    sweep.start_server(workers)
                sweep.run_setup()
                # Repeats run in rounds (every cell once, then again) rather than back to back,
                # so a slow drift of the machine spreads over every cell instead of one.
                for repeat in range(settings.repeat):
                    sweep.repeat_index = repeat
                    for endpoint in endpoints:
                        if settings.find_capacity:
                            sweep.search_capacity(endpoint, workers)
                            continue
                        for load in settings.loads:
                            sweep.attack(endpoint, load, workers)
                            if loads_beside:
                                sweep.mixed_attack(endpoint, load, workers, mixes[endpoint.name])
            _finish_run(sweep, "complete")
            _report_failures(sweep)
        except KeyboardInterrupt:
            status = "partial"
            with interrupts.held():  # from here on a signal never cuts the cleanup short
                _mark_stopped(sweep, status)
        except BaseException as exc:
            error = exc
            with interrupts.held():
                _mark_stopped(sweep, "partial" if sweep.stored else "failed")
            raise
        finally:
            with interrupts.held():
                spooled = _clean_up(sweep, error)
            interrupts.restore(previous_handlers)
            _raise_store_failure(sweep, spooled, error)
    if interrupts.received() is not None:  # also when it came during the cleanup
        raise Interrupted(sweep.run_id, sweep.stored, status, count_attacks(spooled))
    return Outcome(sweep.run_id, sweep.stored, status, count_attacks(spooled))


def _check_label(label: str | None, store: Path) -> None:
    """Refuse, before any server starts, a label that `--run LABEL` would read as the id of
    a stored run (the static part, `latest~N`, was refused with the settings)."""
    if label is None or not store.exists():
        return
    try:
        con = open_store(store, read_only=True, wait_s=2.0)
    except StoreBusy:
        return  # held by a writer that is not perf: its ids cannot be read now
    try:
        ids = run_ids(con)
    finally:
        con.close()
    check_label(label, "label", ids)


def _report_failures(sweep: _Sweep) -> None:
    """Operations that failed every request, read back from the store once all is stored.
    Advice, not data: while attacks still wait in the spool (a reader holds the store) it is
    left out rather than waited for."""
    if sweep.writer.failure is not None:
        return  # the store cannot be written: the sweep ends saying so (_raise_store_failure)
    if sweep.writer.waiting():
        sweep.progress.message("operations that failed every request are not listed: the store "
                               "is busy (see `perf report` once it is stored)")
        return
    try:
        report_failures(sweep.store, sweep.run_id, sweep.progress, sweep.server.log_path)
    except StoreBusy:
        sweep.progress.message("operations that failed every request are not listed: the store "
                               "is busy (see `perf report`)")


def _mark_stopped(sweep: _Sweep, status: str) -> None:
    """Mark the run of a sweep that failed or was stopped. The failure or the signal is what
    the user must see: if even the final status cannot be spooled, the run stays `running`
    and the next writer marks it partial (its process is gone)."""
    try:
        _finish_run(sweep, status)
    except PerfError:
        pass


def _clean_up(sweep: _Sweep, error: BaseException | None = None) -> list:
    """Stop every child process, remove the scratch folder, give a busy store its last chance;
    returns what is still spooled, after saying so in one line (unless the store could not be
    written: then the sweep's error says it, _raise_store_failure). `error`: what the sweep
    is ending with, if anything."""
    sweep.progress.close()
    if sweep.server is not None:
        sweep.server.stop()
    processes.stop_all()
    scratch.remove(sweep.scratch)
    if sweep.writer is None:
        return []
    left = sweep.writer.close()
    failure = sweep.writer.failure
    if _ends_with_store_failure(sweep, error):
        return left
    if left:
        if failure is not None:
            why = f" (the store could not be written: {failure})"
        else:
            why = f" (the store is held by {sweep.writer.holder})" if sweep.writer.holder else ""
        sweep.progress.message(
            f"still spooled in {sweep.writer.root}{why}: {describe(left)}; the next perf collect "
            f"or perf ingest on this store stores it, or run `perf ingest --spooled`")
    return left


def _ends_with_store_failure(sweep: _Sweep, error: BaseException | None) -> bool:
    """Does the sweep end with its store's failure (_raise_store_failure)? Not after a signal
    (perf says it was interrupted), nor on an error that is perf's own bug (its traceback)."""
    return (sweep.writer is not None and sweep.writer.failure is not None
            and interrupts.received() is None
            and (error is None or isinstance(error, PerfError)))


def _raise_store_failure(sweep: _Sweep, left: list, error: BaseException | None) -> None:
    """A store that could not be written (a full disk) ends the sweep with exit 1 and one
    line: why, what is still spooled (nothing is lost), and how to store it later. It takes
    the place of the error the sweep was ending with, which it names too unless that error
    is the failure itself."""
    if not _ends_with_store_failure(sweep, error):
        return
    failure = sweep.writer.failure
    text = str(failure) if error is None or error is failure else f"{error}; and {failure}"
    if left:
        text += (f"; nothing is lost: still spooled in {sweep.writer.root}: {describe(left)}; "
                 f"once the store can be written again, run `perf ingest --spooled --store "
                 f"{sweep.store}`")
    raise PerfError(text) from None
