"""perf compare's judgement, as pure functions on plain data (kept apart from rendering, as
pyperf keeps CompareResult apart from its tables): which cells of two runs match, how each key
metric changed, what the repeats say about it, and the verdicts.

The unit of replication is the attack: requests within one attack share the server's state
and the machine's moment, so testing over raw requests would call run-to-run noise a
regression. A cell's value in a run is the median over its repeated attacks (`perf collect
--repeat N`); the evidence is Welch's t-test over those per-attack values (on their logs, as
latencies and rates are multiplicative), which unlike an exact rank test can reach a small
p-value with three repeats a side (Mann-Whitney's two-sided exact p never goes below 0.1 at
3 vs 3). With a single attack on either side there is no measure of noise: a change past the
threshold is `inconclusive`, shown and never gating (a one-attack A/A comparison of identical
code moves p95 by 19%), unless the user asks to gate on the threshold alone
(--gate-without-repeats); the basis says which, and how to get a verdict.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from perf.reporter.compute import checks as server_checks, tables as compute, ttests
from perf.store.metrics import METRICS, format_value
from perf.reporter.compute.thresholds import CAPACITY, KEY_METRICS, CompareSettings, Threshold
from perf.reporter.rows import AttackRow, CapacityRow, CheckRow, RunRow

VERDICTS = ("worse", "better", "same", "inconclusive")
WELCH = "welch"  # Welch's t-test over the repeats
PAIRED = "paired"  # alternated rounds (--pool): a paired t-test over each round's change
THRESHOLD_ONLY = "threshold"  # one attack on a side: no evidence beyond the threshold
# What a one-attack cell's basis says it takes to get a verdict.
REPEAT_ADVICE = "no noise measure, not gated"


@dataclass(frozen=True, order=True)
class Cell:
    """What must be equal for two attacks to be the same experiment."""

    endpoint: str
    method: str
    mode: str
    load: float | int | None  # target rate (mode rate) or concurrency
    workers: int | None
    server: str | None
    role: str | None = None  # None alone; foreground / background: the two sides of a mix
    background: str | None = None  # the background load of a mix

    @classmethod
    def of(cls, attack: AttackRow) -> "Cell":
        return cls(attack.endpoint, attack.method, attack.mode, compute.load_of(attack),
                   attack.workers, attack.server, attack.role, attack.background)

    def sort_key(self) -> tuple:
        return (self.mode != "rate", self.load if self.load is not None else -1,
                self.workers if self.workers is not None else -1, self.server or "",
                self.endpoint, self.role or "", self.background or "")

    def title(self, with_server: bool = False) -> str:
        """'GET /items @ 100/s, 2 workers' (+ the server, the mix, when they tell cells apart)."""
        text = f"{self.endpoint} @ {compute.load_label(self.mode, self.load)}"
        if self.workers is not None:
            text += f", {self.workers} worker" + ("s" if self.workers != 1 else "")
        if with_server and self.server:
            text += f", {self.server}"
        # perf collect names both sides of a mix ("POST /x (beside 25MB @ 1/s)"); a mix stored
        # under a bare endpoint name gets it said here.
        if self.background and "beside" not in self.endpoint:
            text += f", beside {self.background}"
            if self.role == "background":
                text += " (background side)"
        return text

    def as_dict(self) -> dict:
        return {"endpoint": self.endpoint, "method": self.method, "mode": self.mode,
                "load": self.load, "workers": self.workers, "server": self.server,
                "role": self.role, "background": self.background}


def cells_of(attacks: list[AttackRow]) -> dict[Cell, list[AttackRow]]:
    """{cell: its attacks, in repeat order} for one run's attacks."""
    out: dict[Cell, list[AttackRow]] = defaultdict(list)
    for attack in sorted(attacks, key=lambda a: (a.repeat_index or 0, a.attack_id)):
        out[Cell.of(attack)].append(attack)
    return dict(out)


def match_cells(base: list[AttackRow], candidate: list[AttackRow]
                ) -> tuple[list[tuple[Cell, list[AttackRow], list[AttackRow]]], list[Cell], list[Cell]]:
    """([(cell, base attacks, candidate attacks)], cells only in base, cells only in candidate)."""
    b, c = cells_of(base), cells_of(candidate)
    matched = [(cell, b[cell], c[cell]) for cell in sorted(b.keys() & c.keys(), key=Cell.sort_key)]
    only_base = sorted(b.keys() - c.keys(), key=Cell.sort_key)
    only_candidate = sorted(c.keys() - b.keys(), key=Cell.sort_key)
    return matched, only_base, only_candidate


@dataclass
class MetricChange:
    name: str  # short name (thresholds.KEY_METRICS), or "capacity"
    metric: str  # the registry name (or "capacity")
    base_values: list[float]  # one per attack (repeat), None dropped
    candidate_values: list[float]
    base: float | None  # median of base_values
    candidate: float | None
    change: float | None  # a fraction (relative) or percentage points (ratios)
    change_unit: str  # "%" | "pp"
    beyond_threshold: bool
    p_value: float | None  # Welch's t-test; None when the verdict rests on the threshold alone
    verdict: str  # worse | better | same | inconclusive
    threshold: Threshold
    gate: bool  # this metric fails the gate when worse
    note: str = ""  # what the change or verdict rests on beyond the cell's basis (no value, ...)

    @property
    def regression(self) -> bool:
        return self.gate and self.verdict == "worse"

    def change_text(self) -> str:
        if self.change is None:
            return "-"
        if self.change_unit == "pp":
            return f"{self.change:+.2f} pp"
        percent = self.change * 100
        return f"{percent:+.0f}%" if abs(percent) >= 10 else f"{percent:+.1f}%"

    def value_text(self, value: float | None, unit: bool = False) -> str:
        """The value as the registry formats it; `unit` appends ms, MB or req/s."""
        if self.metric == CAPACITY:
            return "-" if value is None else f"{value:g}/s"
        text = format_value(self.metric, value)
        shown = METRICS[self.metric].unit
        return f"{text} {shown}" if unit and value is not None and shown in ("ms", "MB", "req/s") else text

    def as_dict(self) -> dict:
        return {
            "metric": self.metric, "base": self.base, "candidate": self.candidate,
            "base_values": self.base_values, "candidate_values": self.candidate_values,
            "change": self.change, "change_unit": self.change_unit,
            "beyond_threshold": self.beyond_threshold, "p_value": self.p_value,
            "verdict": self.verdict, "gate": self.gate, "regression": self.regression,
            "threshold": self.threshold.text(), "note": self.note,
        }


# Repeats whose spread is below this fraction of their size are one value up to float rounding:
# far below any real difference between attacks, far above the rounding at which scipy's
# variance loses every digit (it warns of "catastrophic cancellation" below ~1e-15).
NOISELESS = 1e-12
NO_NOISE = "every repeat gave the same value: no noise to test, the threshold decides"
NO_NOISE_ROUNDS = "every round changed by the same amount: no noise to test, the threshold decides"


def noiseless(values: list[float]) -> bool:
    """The values are one value (up to float rounding): the repeats show no measurable noise."""
    return max(values) - min(values) <= NOISELESS * max(abs(v) for v in values)


def _on_scale(values: list[float], log: bool) -> list[float]:
    return [math.log(v) for v in values] if log else list(values)


def welch_p(base: list[float], candidate: list[float], log: bool) -> float:
    """Two-sided p-value of Welch's t-test; on logs when `log` (every value > 0).

    Repeats without noise (noiseless) leave the variance undefined. Both sides without it:
    identical values are no evidence of change, different ones conclusive (the threshold then
    decides). One side without it: Welch's t with that variance zero is the one-sample t-test
    of the other side against its value (df = n - 1), computed so.
    """
    xs, ys = _on_scale(base, log), _on_scale(candidate, log)
    flat_x, flat_y = noiseless(xs), noiseless(ys)
    if flat_x and flat_y:
        x, y = statistics.median(xs), statistics.median(ys)
        return 1.0 if abs(x - y) <= NOISELESS * max(abs(x), abs(y)) else 0.0
    if flat_x or flat_y:
        noisy, flat = (ys, xs) if flat_x else (xs, ys)
        return ttests.one_sample(noisy, statistics.median(flat))
    return ttests.welch(xs, ys)


def paired_p(rounds: list[tuple[list[float], list[float]]], log: bool) -> float:
    """Two-sided p-value of a t-test that the change within each round (base run, candidate
    run, collected one after the other) is zero: a drift of the machine from round to round
    moves both sides of a round alike and cancels out, as it cannot in a test over the pool.
    Every round changing by the same amount (noiseless) is conclusive, unless that is none."""
    diffs = _round_changes(rounds, log)
    if noiseless(diffs):
        return 0.0 if any(diffs) else 1.0
    return ttests.one_sample(diffs, 0.0)


def _round_changes(rounds: list[tuple[list[float], list[float]]], log: bool) -> list[float]:
    diffs = []
    for xs, ys in rounds:
        x, y = statistics.median(xs), statistics.median(ys)
        diffs.append(math.log(y) - math.log(x) if log else y - x)
    return diffs


def judge(name: str, metric: str, base_values: list, candidate_values: list,
          threshold: Threshold, gate: bool, alpha: float, ratio: bool = False,
          rounds: list[tuple[list, list]] | None = None,
          without_repeats: bool = False) -> MetricChange:
    """One metric of one cell: the change, its evidence, the verdict. `rounds`: the same
    values as (base, candidate) pairs of alternated runs, the evidence when given.
    `without_repeats`: with one value on a side, a change past the threshold is a verdict
    (else inconclusive: there is no measure of noise)."""
    xs = [float(v) for v in base_values if v is not None and math.isfinite(v)]
    ys = [float(v) for v in candidate_values if v is not None and math.isfinite(v)]
    unit = "pp" if ratio else "%"
    if not xs or not ys:
        side = "base" if not xs else "candidate"
        return MetricChange(name, metric, xs, ys, statistics.median(xs) if xs else None,
                            statistics.median(ys) if ys else None, None, unit, False, None,
                            "inconclusive", threshold, gate, note=f"no value in the {side}")
    base, candidate = statistics.median(xs), statistics.median(ys)
    note = ""
    if ratio:
        change = (candidate - base) * 100
    elif base:
        change = (candidate - base) / base
    elif candidate:
        change, note = None, "the base is 0: no relative change"
    else:
        change = 0.0
    beyond = threshold.exceeded(base, candidate)
    worse = (candidate < base) if threshold.higher_is_better else (candidate > base)
    p_value = None
    log = not ratio and min(xs + ys) > 0
    paired = [(_finite(b), _finite(c)) for b, c in rounds or []]
    paired = [(b, c) for b, c in paired if b and c]
    if len(paired) >= 2:
        p_value = paired_p(paired, log)
        significant = p_value < alpha
        if noiseless(_round_changes(paired, log)):
            note = _joined(note, NO_NOISE_ROUNDS)
    elif len(xs) >= 2 and len(ys) >= 2:
        p_value = welch_p(xs, ys, log=log)
        significant = p_value < alpha
        if noiseless(_on_scale(xs, log)) and noiseless(_on_scale(ys, log)):
            note = _joined(note, NO_NOISE)
    else:
        significant = without_repeats  # the threshold alone decides only when asked to
    if not beyond:
        verdict = "same"
    elif not significant:
        verdict = "inconclusive"
    else:
        verdict = "worse" if worse else "better"
    return MetricChange(name, metric, xs, ys, base, candidate, change, unit, beyond, p_value,
                        verdict, threshold, gate, note)


def _joined(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _finite(values: list) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def rounds_of(base: list[AttackRow], candidate: list[AttackRow]
              ) -> list[tuple[list[AttackRow], list[AttackRow]]]:
    """Alternated runs as rounds: the i-th base run (by start) with the i-th candidate run;
    [] unless both sides span the same number (>= 2) of runs."""
    def by_run(attacks: list[AttackRow]) -> list[list[AttackRow]]:
        runs: dict[str, list[AttackRow]] = {}
        for a in sorted(attacks, key=lambda a: (a.started_at or 0, a.attack_id)):
            runs.setdefault(a.run_id, []).append(a)
        return list(runs.values())

    b, c = by_run(base), by_run(candidate)
    return list(zip(b, c)) if len(b) == len(c) >= 2 else []


def basis(n_base: int, n_candidate: int, runs_base: int = 1,
          runs_candidate: int = 1, without_repeats: bool = False) -> tuple[str, str]:
    """(method, the words every output shows for what a cell's verdicts rest on)."""
    if n_base >= 2 and n_candidate >= 2:
        if runs_base == runs_candidate > 1:
            # Each round is one run a side: say how many attacks each run had, not the pool's.
            per_run = n_base / runs_base
            each = (f"{per_run:.0f} attack{'s' if per_run != 1 else ''} a side each"
                    if n_base == n_candidate and per_run.is_integer()
                    else f"{n_base} vs {n_candidate} attacks")
            return PAIRED, f"{runs_base} alternated rounds, {each}"
        words = (f"{n_base} repeats each" if n_base == n_candidate
                 else f"{n_base} vs {n_candidate} repeats")
        if runs_base > 1 or runs_candidate > 1:
            words += f" over {runs_base} vs {runs_candidate} runs"
        return WELCH, words
    count = "1 attack each" if n_base == n_candidate == 1 else f"{n_base} vs {n_candidate} attacks"
    return THRESHOLD_ONLY, f"{count}: " + ("threshold only" if without_repeats else REPEAT_ADVICE)


@dataclass
class CellComparison:
    cell: Cell
    base_attacks: list[int]
    candidate_attacks: list[int]
    method: str  # WELCH | PAIRED | THRESHOLD_ONLY
    basis: str
    metrics: list[MetricChange]
    untrusted: bool  # an attack of the cell failed the generator check
    # The self-check stalls of the server starts the cell's attacks ran on, one per side and
    # warning: {"side": "base", "note": "responses on kept-alive connections stall ~42 ms: ..."}.
    stalls: list[dict] = field(default_factory=list)

    @property
    def changed(self) -> list[MetricChange]:
        return [m for m in self.metrics if m.verdict != "same"]

    def as_dict(self, with_server: bool = False) -> dict:
        return {
            "cell": self.cell.as_dict(), "title": self.cell.title(with_server),
            "base_attacks": self.base_attacks, "candidate_attacks": self.candidate_attacks,
            "method": self.method, "basis": self.basis, "untrusted": self.untrusted,
            "server_stalls": self.stalls,
            "metrics": {m.name: m.as_dict() for m in self.metrics},
        }


def compare_cell(cell: Cell, base: list[AttackRow], candidate: list[AttackRow],
                 settings: CompareSettings, stalled: dict[int, CheckRow] | None = None
                 ) -> CellComparison:
    method, words = basis(len(base), len(candidate), len({a.run_id for a in base}),
                          len({a.run_id for a in candidate}), settings.gate_without_repeats)
    rounds = rounds_of(base, candidate) if method == PAIRED else []
    metrics = []
    for name, metric in KEY_METRICS.items():
        metrics.append(judge(
            name, metric, [a.metric(metric) for a in base], [a.metric(metric) for a in candidate],
            settings.thresholds[name], name in settings.gate, settings.alpha,
            ratio=METRICS[metric].unit == "ratio",
            rounds=[([a.metric(metric) for a in b], [a.metric(metric) for a in c])
                    for b, c in rounds],
            without_repeats=settings.gate_without_repeats))
    return CellComparison(
        cell, [a.attack_id for a in base], [a.attack_id for a in candidate], method, words,
        metrics, any(compute.untrusted(a) for a in base + candidate),
        cell_stalls(base, candidate, stalled or {}))


def cell_stalls(base: list[AttackRow], candidate: list[AttackRow],
                stalled: dict[int, CheckRow]) -> list[dict]:
    """Which side of a cell ran on a server whose self-check found kept-alive responses
    stalled (perf.reporter.compute.checks.stalled), and its warning: its latencies carry the stall, so a change
    between the sides may be the server's socket options, not the code."""
    out = []
    for side, attacks in (("base", base), ("candidate", candidate)):
        notes = dict.fromkeys(stalled[a.check_id].note for a in attacks
                              if a.check_id in stalled)
        out += [{"side": side, "note": note} for note in notes]
    return out


@dataclass
class CapacityChange:
    """One capacity search of the same cell and SLO in both runs."""

    endpoint: str
    server: str | None
    workers: int | None
    slo: str
    change: MetricChange

    def title(self) -> str:
        workers = "" if self.workers is None else (
            f", {self.workers} worker" + ("s" if self.workers != 1 else ""))
        return f"{self.endpoint}{workers}, SLO {self.slo}"

    def as_dict(self) -> dict:
        return {"endpoint": self.endpoint, "server": self.server, "workers": self.workers,
                "slo": self.slo, "title": self.title(), **self.change.as_dict()}


def compare_capacity(base: list[CapacityRow], candidate: list[CapacityRow],
                     settings: CompareSettings) -> list[CapacityChange]:
    """Capacity searches of the same cell and SLO found in both runs. A search is
    one number per run, so its verdict rests on the threshold (by default: any drop)."""
    def key(row: CapacityRow) -> tuple:
        return (row.endpoint, row.server, row.workers, row.slo)

    b = {key(r): r for r in base}
    out = []
    for row in sorted(candidate, key=lambda r: tuple(str(x) for x in key(r))):
        old = b.get(key(row))
        if old is None:
            continue
        threshold = settings.thresholds[CAPACITY]
        # No rate = not even the lowest rate tried met the SLO: below anything found.
        before, after = old.rate or 0.0, row.rate or 0.0
        # A search is one number per run by nature (its attacks bracket the rate): its threshold
        # decides, as it always did.
        change = judge(CAPACITY, CAPACITY, [before], [after], threshold,
                       CAPACITY in settings.gate, settings.alpha, without_repeats=True)
        change.base, change.candidate = old.rate, row.rate
        out.append(CapacityChange(row.endpoint, row.server, row.workers, row.slo, change))
    return out


@dataclass
class Comparison:
    base: RunRow
    candidate: RunRow
    names: dict[str, str]  # run_id -> name (label, else short id)
    settings: CompareSettings
    cells: list[CellComparison]
    only_base: list[Cell]
    only_candidate: list[Cell]
    capacity: list[CapacityChange] = field(default_factory=list)
    # --pool: every run of each side (alternated collects), oldest first; else [base], [candidate]
    base_pool: list[RunRow] = field(default_factory=list)
    candidate_pool: list[RunRow] = field(default_factory=list)

    @property
    def with_server(self) -> bool:
        """Name the server in cell titles only when the cells differ by it."""
        return len({c.cell.server for c in self.cells}
                   | {c.server for c in self.only_base + self.only_candidate}) > 1

    @property
    def regressions(self) -> list[tuple[str, MetricChange, str]]:
        """(where, the change, basis) of every gated metric judged worse."""
        out = [(c.cell.title(self.with_server), m, c.basis)
               for c in self.cells for m in c.metrics if m.regression]
        out += [(cap.title(), cap.change, "capacity search: threshold only")
                for cap in self.capacity if cap.change.regression]
        return out

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    @property
    def bases(self) -> list[str]:
        """Every distinct basis of the matched cells ('3 repeats each', ...)."""
        return list(dict.fromkeys(c.basis for c in self.cells))

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for c in self.cells:
            for m in c.metrics:
                out[m.verdict] += 1
        return out


def compare_runs(base_run: RunRow, candidate_run: RunRow, base_attacks: list[AttackRow],
                 candidate_attacks: list[AttackRow], settings: CompareSettings,
                 names: dict[str, str], base_capacity: list[CapacityRow] = (),
                 candidate_capacity: list[CapacityRow] = (), checks: list[CheckRow] = ()
                 ) -> Comparison:
    """The whole comparison of two runs' attack summaries (query.attack_summaries);
    `checks`: the server self-checks of both runs (query.server_checks)."""
    stalled = server_checks.stalled(list(checks))
    matched, only_base, only_candidate = match_cells(base_attacks, candidate_attacks)
    cells = [compare_cell(cell, b, c, settings, stalled) for cell, b, c in matched]
    return Comparison(base_run, candidate_run, names, settings, cells, only_base, only_candidate,
                      compare_capacity(list(base_capacity), list(candidate_capacity), settings))


def verdict_rows(result: Comparison) -> list[dict]:
    """The dashboard's verdict table: every changed metric of every cell (regressions first),
    then one line per cell whose metrics all stayed the same, and the capacity searches."""
    with_server = result.with_server
    changed, same = [], []
    for c in result.cells:
        title = c.cell.title(with_server)
        for m in c.changed:
            changed.append({"cell": title, "metric": m.name, "base": m.value_text(m.base, unit=True),
                            "candidate": m.value_text(m.candidate, unit=True),
                            "change": m.change_text(), "verdict": m.verdict,
                            "rests on": c.basis + (" (untrusted attack)" if c.untrusted else ""),
                            "_regression": m.regression})
        if not c.changed:
            same.append({"cell": title, "metric": "every key metric", "base": "", "candidate": "",
                         "change": "", "verdict": "same", "rests on": c.basis,
                         "_regression": False})
    for cap in result.capacity:
        m = cap.change
        changed.append({"cell": cap.title(), "metric": "capacity", "base": m.value_text(m.base),
                        "candidate": m.value_text(m.candidate), "change": m.change_text(),
                        "verdict": m.verdict, "rests on": "capacity search: threshold only",
                        "_regression": m.regression})
    changed.sort(key=lambda row: not row["_regression"])
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in changed + same]


def regression_line(where: str, change: MetricChange, basis_words: str) -> str:
    """'GET /items @ 100/s, 2 workers: p99 12.1 → 15.9 ms (+31%, 3 repeats each)'."""
    return (f"{where}: {change.name} {change.value_text(change.base)} → "
            f"{change.value_text(change.candidate, unit=True)} ({change.change_text()}, {basis_words})")
