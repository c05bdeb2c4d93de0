"""Compare two runs (baseline vs candidate): key figures with deltas, Mann-Whitney U per latency phase,
and what changed in the environment between the two manifests.

A regression (for `--fail-on-regression PCT`) is a latency phase whose candidate distribution is
significantly higher (two-sided Mann-Whitney U, p < ALPHA) with a median more than PCT % (and at least
MIN_REGRESSION_S) above the baseline's; or operator throughput more than PCT % lower with significantly
longer gaps between pick-ups, when the candidate was offered at least the baseline's throughput (an
operator cannot process more than it is given).

The verdict (one line, printed last by `benchkit compare`) weighs the same evidence without a threshold:
latency phases significantly faster or slower by at least MIN_REGRESSION_S, and operator throughput
significantly higher or lower (its pick-up gaps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchkit.report.render import flatten, fmt
from benchkit.report.runfolder import RunFolder
from benchkit.results import phases
from benchkit.results.phases import NAMES as PHASES
from benchkit.results.stats import PERCENTILES

ALPHA = 0.05
MIN_SAMPLES = 5
"""Below this many apps on either side a phase is reported but not tested."""
MIN_REGRESSION_S = 0.05
"""A latency regression must also move the median by this much: 1 ms on a 5 ms call is noise, not news."""
THROUGHPUT = "operator_pickup_gap"
KEY_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("jobs.submitted", "jobs submitted", ""),
    ("jobs.created", "jobs created (acknowledged)", "higher"),
    ("jobs.create_failed", "creates failed", "lower"),
    ("jobs.completed", "jobs completed", "higher"),
    ("jobs.failed", "jobs failed", "lower"),
    ("jobs.unfinished", "jobs unfinished", "lower"),
    ("rate.offered_per_min", "offered rate /min", ""),
    ("rate.sent_per_min", "sent rate /min", ""),
    ("rate.achieved_per_min", "achieved rate /min (acknowledged)", "higher"),
    ("rate.achieved_ratio", "achieved / offered", "higher"),
    ("operator.apps_per_min", "operator throughput /min", "higher"),
    ("saturation.sustained_per_min", "sustained rate /min", "higher"),
    *((f"latency_s.{p}.p{q}", f"{p} p{q} s", "lower") for p in PHASES for q in PERCENTILES),
    ("duration_s", "duration s", ""),
)
IGNORED_ENV = ("run_id", "name", "results_dir", "started", "started_at", "ended", "finished", "created", "t0_wall",
               "duration", "pid", "hostname")  # fmt: skip
"""Manifest keys that differ between any two runs and say nothing about the setup."""
TWIN_NOISE = ("target.server", "target.source", "target.context")
"""Between two embedded-twin runs these are a fresh port and temp kubeconfig each time: not a change of setup."""
PRIORITY_ENV = ("operator_workers", "operator_cpus", "workers", "chart", "image", "webhook", "instance",
                "jobs_per_min", "ramp", "total", "users", "namespaces", "twin_profile", "nodes", "scenario",
                "app_seconds", "version")  # fmt: skip
"""Environment differences matching these come first: they usually explain a change."""


@dataclass(frozen=True)
class FigureRow:
    label: str
    path: str
    base: float | None
    cand: float | None
    better: str

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.cand is None else self.cand - self.base

    @property
    def delta_pct(self) -> float | None:
        if self.delta is None or not self.base:
            return None
        return 100.0 * self.delta / abs(self.base)

    @property
    def verdict(self) -> str:
        """ "better", "worse" or "" (no direction, no change or no data)."""
        if not self.better or not self.delta:
            return ""
        improved = (self.delta < 0) == (self.better == "lower")
        return "better" if improved else "worse"


@dataclass(frozen=True)
class PhaseTest:
    phase: str
    n_base: int
    n_cand: int
    median_base: float | None
    median_cand: float | None
    u: float | None
    p_value: float | None

    @property
    def change_pct(self) -> float | None:
        if self.median_base is None or self.median_cand is None or self.median_base == 0:
            return None
        return 100.0 * (self.median_cand - self.median_base) / abs(self.median_base)

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def verdict(self) -> str:
        if self.p_value is None:
            return f"not tested (fewer than {MIN_SAMPLES} apps)"
        if not self.significant:
            return "no significant difference"
        return "slower" if (self.median_cand or 0) > (self.median_base or 0) else "faster"


@dataclass
class Comparison:
    base: RunFolder
    cand: RunFolder
    figures: list[FigureRow]
    tests: list[PhaseTest]
    env: list[tuple[str, Any, Any]]
    samples: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)
    threshold_pct: float | None = None

    @property
    def verdict(self) -> str:
        """One line: is the candidate better, worse, mixed or no different, and on what evidence."""
        moved = [t for t in self.tests if t.phase != THROUGHPUT and t.significant and t.median_base is not None
                 and t.median_cand is not None and abs(t.median_cand - t.median_base) >= MIN_REGRESSION_S]  # fmt: skip
        faster = [t.phase for t in moved if t.verdict == "faster"]
        slower = [t.phase for t in moved if t.verdict == "slower"]
        gaps = next((t for t in self.tests if t.phase == THROUGHPUT and t.significant), None)
        up, down = gaps is not None and gaps.verdict == "faster", gaps is not None and gaps.verdict == "slower"
        good, bad = bool(faster) or up, bool(slower) or down
        word = {(True, False): "candidate better", (False, True): "candidate worse",
                (True, True): "mixed"}.get((good, bad), "no significant difference")  # fmt: skip
        row = next((r for r in self.figures if r.path == "operator.apps_per_min"), None)
        throughput = ""
        if row is not None and row.base is not None and row.cand is not None:
            change = f" ({row.delta_pct:+.0f} %)" if row.delta_pct is not None else ""
            throughput = f"operator throughput {fmt(row.base)} -> {fmt(row.cand)} apps/min{change}; "
        return (f"{word}: {throughput}{len(faster)} latency phase(s) significantly faster"
                f"{' (' + ', '.join(faster) + ')' if faster else ''}, {len(slower)} slower"
                f"{' (' + ', '.join(slower) + ')' if slower else ''} (Mann-Whitney p < {ALPHA}, "
                f"median moved >= {MIN_REGRESSION_S * 1000:.0f} ms)")  # fmt: skip


def compare(base: RunFolder, cand: RunFolder, fail_on_regression_pct: float | None = None) -> Comparison:
    rows = [FigureRow(label, path, base.summary.value(path), cand.summary.value(path), better)
            for path, label, better in KEY_FIGURES]  # fmt: skip
    rows = [r for r in rows if r.base is not None or r.cand is not None]
    base_s, cand_s = phases.samples(base.timeline.apps.values()), phases.samples(cand.timeline.apps.values())
    samples = {p: (base_s.get(p, []), cand_s.get(p, [])) for p in PHASES}
    samples[THROUGHPUT] = (pickup_gaps(base), pickup_gaps(cand))
    tests = [mann_whitney(p, *samples[p]) for p in (*PHASES, THROUGHPUT) if samples[p][0] or samples[p][1]]
    out = Comparison(base, cand, rows, tests, environment_diff(base.manifest, cand.manifest), samples)
    if fail_on_regression_pct is not None:
        out.threshold_pct = fail_on_regression_pct
        out.regressions = regressions(out, fail_on_regression_pct)
    return out


def mann_whitney(phase: str, base: list[float], cand: list[float]) -> PhaseTest:
    med_b = float(np.median(base)) if base else None
    med_c = float(np.median(cand)) if cand else None
    if len(base) < MIN_SAMPLES or len(cand) < MIN_SAMPLES:
        return PhaseTest(phase, len(base), len(cand), med_b, med_c, None, None)
    # imported here: scipy.stats takes ~1.3 s to import, and only a comparison with enough samples needs it
    from scipy.stats import mannwhitneyu  # noqa: PLC0415

    result = mannwhitneyu(cand, base, alternative="two-sided")
    return PhaseTest(phase, len(base), len(cand), med_b, med_c, float(result.statistic), float(result.pvalue))


def pickup_gaps(run: RunFolder) -> list[float]:
    """Seconds between consecutive operator pick-ups in steady state (the middle 80 % of pick-ups)."""
    times = run.timeline.processed
    if times.size < 3:
        return []
    lo, hi = int(0.1 * (times.size - 1)), int(np.ceil(0.9 * (times.size - 1)))
    return [float(x) for x in np.diff(times[lo : hi + 1])]


def regressions(c: Comparison, pct: float) -> list[str]:
    out = []
    for t in c.tests:
        change = t.change_pct
        if t.phase == THROUGHPUT:
            drop = _throughput_drop(c)
            if t.significant and t.verdict == "slower" and drop is not None and drop > pct and _offered_enough(c):
                out.append(f"operator throughput {drop:.1f} % lower (pick-up gaps p={t.p_value:.3g})")
        elif (t.significant and t.verdict == "slower" and change is not None and change > pct
              and (t.median_cand or 0) - (t.median_base or 0) >= MIN_REGRESSION_S):  # fmt: skip
            out.append(f"{t.phase} median {change:+.1f} % (p={t.p_value:.3g}, n={t.n_base}/{t.n_cand})")
    return out


def _offered_enough(c: Comparison) -> bool:
    """Lower throughput is only a regression if the candidate was offered at least the base's throughput."""
    offered = c.cand.summary.rate.achieved_per_min or c.cand.summary.rate.offered_per_min
    base = c.base.summary.operator.apps_per_min
    return offered is None or base is None or offered >= base


def _throughput_drop(c: Comparison) -> float | None:
    row = next((r for r in c.figures if r.path == "operator.apps_per_min"), None)
    return None if row is None or row.delta_pct is None else -row.delta_pct


def environment_diff(base: dict[str, Any], cand: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, base value, candidate value) for every manifest leaf that differs, most telling first."""
    flat_b, flat_c = dict(flatten(base)), dict(flatten(cand))
    ignored = TWIN_NOISE if base.get("embedded_twin") and cand.get("embedded_twin") else ()
    keys = [k for k in dict.fromkeys([*flat_b, *flat_c])
            if k.rsplit(".", 1)[-1] not in IGNORED_ENV and k not in ignored]  # fmt: skip
    diff = [(k, flat_b.get(k), flat_c.get(k)) for k in keys if flat_b.get(k) != flat_c.get(k)]

    def rank(item: tuple[str, Any, Any]) -> int:
        return next((i for i, word in enumerate(PRIORITY_ENV) if word in item[0]), len(PRIORITY_ENV))

    return sorted(diff, key=rank)
