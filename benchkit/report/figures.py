"""The charts of one run's report, each with a caption saying how to read it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchkit.report import charts
from benchkit.report import timeline as tl
from benchkit.report.runfolder import MetricFile, RunFolder
from benchkit.results import phases
from benchkit.results.schema import Saturation
from benchkit.results.stats import PERCENTILES

TIME = "seconds since the run started"
MAX_SERIES = 10
"""Prometheus charts show at most this many series (the largest); the CSV has them all."""


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    caption: str
    png: bytes

    @property
    def uri(self) -> str:
        return charts.data_uri(self.png)


def run_figures(run: RunFolder) -> list[Figure]:
    """Throughput, backlog, start latency over the run, latency, states, nodes, saturation; then one per
    Prometheus metric."""
    t = run.timeline
    grid = t.grid()
    figures = [_throughput(t, grid), _cumulative(t, grid), _backlog(t, grid)]
    if t.running.size:
        figures.append(_start_latency(t))
    figures += _latency(run)
    figures.append(_states(t, grid))
    if t.nodes:
        figures.append(_nodes(t))
    if run.summary.saturation:
        figures.append(_saturation(run.summary.saturation, t, grid))
    return figures + [_metric(m) for m in run.metrics if m.series]


def _throughput(t: tl.Timeline, grid: np.ndarray) -> Figure:
    window = tl.smoothing_window(t.duration)
    last_due = float(t.offered[-1]) if t.offered.size else 0.0
    lines = [
        ("offered (target)", grid, tl.offered_rate(t.steps, grid, last_due)),
        ("created (API acknowledged)", grid, tl.rate_per_min(t.created, grid, window)),
        ("picked up by the operator", grid, tl.rate_per_min(t.processed, grid, window)),
        ("reached RUNNING", grid, tl.rate_per_min(t.running, grid, window)),
        ("finished", grid, tl.rate_per_min(t.terminal, grid, window)),
    ]
    png = charts.lines(lines, "Offered vs achieved rate", TIME, "apps per minute", styles={"offered (target)": "--"})
    caption = (f"Rates over a trailing {window:.0f} s window. When 'picked up by the operator' stays below "
               "'created', the operator is the bottleneck and the backlog below grows.")  # fmt: skip
    return Figure("throughput", "Offered vs achieved submissions and operator throughput", caption, png)


def _cumulative(t: tl.Timeline, grid: np.ndarray) -> Figure:
    lines = [
        ("due (schedule)", grid, tl.cumulative(t.offered, grid)),
        ("created", grid, tl.cumulative(t.created, grid)),
        ("picked up by the operator", grid, tl.cumulative(t.processed, grid)),
        ("RUNNING", grid, tl.cumulative(t.running, grid)),
        ("finished", grid, tl.cumulative(t.terminal, grid)),
    ]
    png = charts.lines(lines, "Apps through each stage (cumulative)", TIME, "apps", styles={"due (schedule)": "--"})
    caption = (
        "The horizontal gap between two curves is how long apps spend between those stages. A gap that "
        "widens over the run is a stage falling further behind; parallel curves mean it keeps up."
    )
    return Figure("cumulative", "Apps through each stage", caption, png)


def _backlog(t: tl.Timeline, grid: np.ndarray) -> Figure:
    lines = [
        ("created, not yet RUNNING", grid, tl.peak_level(t.created, t.left_backlog, grid)),
        ("created, not yet picked up by the operator", grid, tl.peak_level(t.created, t.processed, grid)),
    ]
    png = charts.lines(lines, "Backlog (peak per interval)", TIME, "apps", step=True)
    step = grid[1] - grid[0] if grid.size > 1 else 0.0
    caption = ("Apps submitted but not yet RUNNING (or finished without running), and the part of them still "
               "waiting in the operator's queue, at their highest in each "
               f"{step:.2g} s interval. A backlog that keeps growing means the offered rate is above what the "
               "setup sustains.")  # fmt: skip
    return Figure("backlog", "Backlog over time", caption, png)


def _start_latency(t: tl.Timeline) -> Figure:
    created = [a for a in t.apps.values() if a.ok and a.ack is not None]
    series = []
    for phase in ("create_to_submitted", "create_to_running"):
        measure = phases.BY_NAME[phase].measure
        points = [(a.ack - t.t0, v) for a in created if a.ack is not None and (v := measure(a)) is not None]
        series.append((phase, np.asarray([p[0] for p in points]), np.asarray([p[1] for p in points])))
    png = charts.scatter(series, "Start latency by arrival", TIME + " (create acknowledged)", "seconds")
    caption = ("One dot per app: when the API server acknowledged its create (x) and how long until the operator "
               "submitted it and until it was seen RUNNING (y). A cloud that rises along the run means each app "
               "waits behind a longer queue than the one before: the offered rate is above what the setup "
               "processes. A flat cloud means it keeps up.")  # fmt: skip
    return Figure("start-latency", "Start latency by arrival time", caption, png)


def _latency(run: RunFolder) -> list[Figure]:
    table = {p: q for p, q in run.summary.latency_s.items() if q.count}
    samples = {p: v for p, v in phases.samples(run.timeline.apps.values()).items() if v}
    out = []
    if table:
        png = charts.percentile_bars(table, "Latency percentiles per phase", "seconds (log scale)")
        stats = ", ".join(f"p{q}" for q in PERCENTILES)
        caption = (f"{stats} of each phase, from summary.json, on a log axis so that millisecond API calls and "
                   "minute-long queue waits show on one chart. Bars of one phase far apart mean a long tail; the "
                   "phase with the tallest bars is where apps spend their time.")  # fmt: skip
        out.append(Figure("latency-percentiles", "Latency percentiles per phase", caption, png))
    if samples:
        png = charts.cdfs(samples, "Latency CDF per phase", "seconds")
        caption = ("Share of apps (y) done with a phase within x seconds. A long flat top is a tail; a curve "
                   "shifted right is a slower phase.")  # fmt: skip
        out.append(Figure("latency-cdf", "Latency distribution per phase (CDF)", caption, png))
    return out


def _states(t: tl.Timeline, grid: np.ndarray) -> Figure:
    layers = tl.states_over_time(t, grid)
    if not layers:
        layers = {"NEW": np.zeros_like(grid)}
    png = charts.stacked(grid, layers, "Apps by state", TIME, "apps")
    caption = ("How many apps are in each SparkApplication state at each moment (deleted apps leave the chart). A "
               "NEW layer that keeps growing is the operator's queue; a growing SUBMITTED layer is drivers waiting "
               "to run (nodes, scheduling).")  # fmt: skip
    return Figure("states", "Apps by state over time", caption, png)


def _nodes(t: tl.Timeline) -> Figure:
    lines = []
    for group, points in sorted(t.nodes.items()):
        xs = np.asarray([p[0] for p in points])
        for label, index in (("desired", 1), ("ready", 2)):
            ys = np.asarray([np.nan if p[index] is None else p[index] for p in points], dtype=float)
            if np.isfinite(ys).any():
                lines.append((f"{group} {label}", xs, ys))
    png = charts.lines(lines, "Nodes", TIME, "nodes", step=True)
    caption = ("Node-group sizes as benchkit decided or observed them. Desired above ready means nodes are still "
               "joining; a flat ready line under a growing backlog means the group is too small.")  # fmt: skip
    return Figure("nodes", "Node count over time", caption, png)


def _saturation(sat: Saturation, t: tl.Timeline, grid: np.ndarray) -> Figure:
    steps = sat.steps
    window = tl.smoothing_window(t.duration)
    last_due = float(t.offered[-1]) if t.offered.size else 0.0
    lines = [("offered (step)", grid, tl.offered_rate(t.steps, grid, last_due)),
             ("picked up by the operator", grid, tl.rate_per_min(t.processed, grid, window))]  # fmt: skip
    backlog = tl.peak_level(t.created, t.processed, grid)
    png = charts.lines(lines, "Ramp: offered rate, operator throughput and backlog", TIME, "apps per minute",
                       styles={"offered (step)": "--"},
                       right=("backlog (apps)", [("operator backlog (right axis)", grid, backlog)]))  # fmt: skip
    held = [f"{s.per_min:g}/min {'held' if s.held else 'not held'}" for s in steps if s.complete]
    sustained = sat.sustained_per_min
    head = f"Sustained: {sustained:g} jobs/min. " if sustained is not None else "No step was sustained. "
    caption = (
        head + "A step holds when the operator picked up as many apps as arrived in it, within "
        "max(2, 5%), over a window as long as the step lagged by its median pick-up delay. " + "; ".join(held)
    )
    return Figure("saturation", "Saturation (ramp)", caption, png)


def _metric(m: MetricFile) -> Figure:
    ranked = sorted(m.series.items(), key=lambda kv: -_peak(kv[1][1]))
    shown = ranked[:MAX_SERIES]
    if all(xs.size <= 1 for xs, _ in m.series.values()):  # an instant query: one value per series
        png = charts.bars([label for label, _ in shown], [float(ys[-1]) for _, (_, ys) in shown], m.name,
                          m.unit or "value")  # fmt: skip
    else:
        png = charts.lines([(label, xs, ys) for label, (xs, ys) in shown], m.name, TIME, m.unit or "value", step=True)
    extra = f" Showing {len(shown)} of {len(ranked)} series." if len(ranked) > len(shown) else ""
    caption = (m.help or "Prometheus query.") + extra + (f" Query: {m.query}" if m.query else "")
    return Figure(f"metric-{m.name}", m.name, caption, png)


def _peak(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 0.0
