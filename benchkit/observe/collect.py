"""Collect a run's Prometheus metrics: every profile query over the run's window -> `metrics/<name>.csv`.

The window comes from the journal (run_start .. run_end, wall clock). Range queries use a step sized to
the window; when the window is not a multiple of the step, an instant query at the window's end adds the
last point (as kube-burner does), so the end of the run is never cut off. A query that fails or returns
nothing is reported in `metrics/collection.json` and on the console, never fatal; Prometheus being
unreachable altogether is a CollectionError that leaves the folder as it was. A re-collection merges into
`collection.json` by metric name, so `--profile X` replaces only X's entries.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchkit.errors import CollectionError
from benchkit.observe import profiles as profile_mod
from benchkit.observe.profiles import Metric
from benchkit.observe.promql import PromClient, QueryError, Result, Series
from benchkit.results import journal
from benchkit.results.manifest import MANIFEST_FILE
from benchkit.spark import operator_versions

METRICS_DIR = "metrics"
REPORT_FILE = "collection.json"
TARGET_POINTS = 300
"""Aim for about this many points per series: enough for a chart, small enough for a CSV."""
DEFAULT_SCRAPE_INTERVAL_S = 30.0
"""kube-prometheus-stack's default; rate windows are at least 4 scrapes wide (Grafana's $__rate_interval)."""


@dataclass(frozen=True)
class Window:
    """The run's time window, epoch seconds (wall clock)."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class Params:
    """How to query: range step, rate window and the $window variable, all in seconds."""

    step: float
    rate: float
    window: float
    controller: str = operator_versions.controller_name(None)
    """The SparkApplication controller's controller-runtime name under the deployed chart ($controller)."""

    def variables(self) -> dict[str, str]:
        return {"step": _dur(self.step), "rate": _dur(self.rate), "window": _dur(max(self.window, self.step)),
                "controller": self.controller}  # fmt: skip


@dataclass
class Outcome:
    """What happened to one query; `status` is ok, empty (no series: missing metric) or error."""

    name: str
    kind: str
    query: str
    status: str
    unit: str = ""
    help: str = ""
    series: int = 0
    points: int = 0
    error: str | None = None
    file: str | None = None
    warnings: list[str] = field(default_factory=list)


def run_window(run_dir: Path) -> Window:
    """[run_start, run_end] from the journal; a run without run_end (a crash) ends at its last event."""
    start: float | None = None
    end: float | None = None
    last = 0.0
    try:
        for event in journal.read(run_dir):
            last = max(last, float(event["wall"]))
            if event["ev"] == journal.RUN_START and start is None:
                start = float(event["wall"])
            elif event["ev"] == journal.RUN_END:
                end = float(event["wall"])
    except FileNotFoundError:
        raise CollectionError(f"{run_dir}: no {journal.EVENTS_FILE} (not a run folder?)") from None
    if start is None:
        raise CollectionError(f"{run_dir}: the journal has no run_start event")
    return Window(start, end if end is not None else max(last, start))


def choose_params(window: Window, scrape_interval: float = DEFAULT_SCRAPE_INTERVAL_S,
                  step: float | None = None, chart_version: str | None = None) -> Params:  # fmt: skip
    """A step giving about TARGET_POINTS points (never below 1 s) and a rate window of >= 4 scrapes."""
    if step is None:
        step = float(max(1, math.ceil(window.duration / TARGET_POINTS)))
    rate = max(4 * scrape_interval, step + scrape_interval)
    return Params(step=step, rate=rate, window=math.ceil(window.duration),
                  controller=operator_versions.controller_name(chart_version))  # fmt: skip


def operator_chart(run_dir: Path) -> str | None:
    """The Spark Operator chart version the run's manifest records: the operator Deployment's `helm.sh/chart`
    label on a real cluster, the embedded twin's `operator_chart` otherwise; None when neither is known."""
    try:
        manifest = json.loads((Path(run_dir) / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    operator = (manifest.get("target") or {}).get("spark_operator") or {}
    twin = manifest.get("embedded_twin") or {}
    found = operator.get("chart") or twin.get("operator_chart")
    if not isinstance(found, str):
        return None
    try:
        operator_versions.parse(found)
    except ValueError:
        return None
    return found


def collect(prom: PromClient, metrics: Iterable[Metric], window: Window, params: Params, run_dir: Path, *,
            progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:  # fmt: skip
    """Run every metric's query and write its CSV; returns one Outcome per metric (merged into collection.json).

    Prometheus is probed first: when it does not answer, nothing in the run folder changes.
    """
    try:
        prom.instant("vector(1)", window.end)
    except QueryError as exc:
        if exc.kind == "unreachable":
            raise CollectionError(f"Prometheus {prom.base_url} is unreachable: {_reason(exc)}") from None
        raise CollectionError(f"Prometheus {prom.base_url} does not answer PromQL queries: {exc}") from None
    out_dir = Path(run_dir) / METRICS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    for metric in metrics:
        outcome = _collect_one(prom, metric, window, params, out_dir)
        if outcome.status == "error" and outcome.error and outcome.error.startswith("unreachable"):
            _merge_report(out_dir, window, params, outcomes)  # what was collected before it went away
            raise CollectionError(f"Prometheus {prom.base_url} went away during the collection: {outcome.error}")
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    _flag_restart(prom, window, params, outcomes)
    _merge_report(out_dir, window, params, outcomes)
    return outcomes


RESTART_QUERY = ('max(changes(process_start_time_seconds[$window]) and on(job, instance) '
                 'controller_runtime_max_concurrent_reconciles{controller="$controller"}) or vector(0)')  # fmt: skip
"""Restarts of the operator process in the run window (its process_start_time_seconds changed)."""
REPLAYED = "spark_application_"
RESTART_WARNING = ("the operator restarted {n:g} time(s) during the run: its informer replayed every stored app as a "
                   "create and counted each again by state (kubeflow/spark-operator v2.1.0 internal/metrics/"
                   "sparkapplication_metrics.go HandleSparkApplicationCreate), so this series includes re-counted "
                   "apps; use benchkit's own journal figures")  # fmt: skip


def operator_restarts(prom: PromClient, window: Window, params: Params) -> float:
    """How often the operator restarted in the window (0 when the query fails or finds no operator)."""
    query = Metric("operator_restarts", RESTART_QUERY, "instant").render(**params.variables())
    try:
        result = prom.instant(query, window.end)
    except QueryError:
        return 0.0
    return max((p[1] for s in result.series for p in s.points if not math.isnan(p[1])), default=0.0)


def _flag_restart(prom: PromClient, window: Window, params: Params, outcomes: list[Outcome]) -> None:
    """A restart skews every spark_application_* counter increase: say so on each outcome that uses one."""
    restarts = operator_restarts(prom, window, params)
    if restarts <= 0:
        return
    for outcome in outcomes:
        if REPLAYED in outcome.query:
            outcome.warnings.append(RESTART_WARNING.format(n=restarts))


def _collect_one(prom: PromClient, metric: Metric, window: Window, params: Params, out_dir: Path) -> Outcome:
    query = metric.render(**params.variables())
    outcome = Outcome(metric.name, metric.kind, query, status="ok", unit=metric.unit, help=metric.help)
    try:
        result = _query(prom, metric.kind, query, window, params.step)
    except QueryError as exc:
        outcome.status, outcome.error = "error", str(exc)
        return outcome
    outcome.warnings = result.warnings
    target = out_dir / f"{metric.name}.csv"
    for s in result.series:  # NaN is "no value here" (e.g. a quantile over an empty window): leave it out
        s.points = [p for p in s.points if not math.isnan(p[1])]
    series = [s for s in result.series if s.points]
    if not series:
        outcome.status = "empty"
        target.unlink(missing_ok=True)  # a stale CSV from an earlier collection would mislead
        return outcome
    tmp = target.with_suffix(".csv.tmp")
    write_csv(tmp, series, window.start)
    os.replace(tmp, target)  # a crash or a failed re-collection never leaves half a CSV
    outcome.series, outcome.points, outcome.file = len(series), sum(len(s.points) for s in series), target.name
    return outcome


def _query(prom: PromClient, kind: str, query: str, window: Window, step: float) -> Result:
    if kind == "instant":
        return prom.instant(query, window.end)
    result = prom.range(query, window.start, window.end, step)
    last = max((p[0] for s in result.series for p in s.points), default=window.start)
    if window.end - last > 1e-3:  # the window is not a multiple of step: add the end point
        tail = prom.instant(query, window.end)
        by_labels = {_key(s.labels): s for s in result.series}
        for s in tail.series:
            if _key(s.labels) in by_labels:
                by_labels[_key(s.labels)].points.extend(s.points)
            else:
                result.series.append(s)
        result.warnings.extend(tail.warnings)
    return result


def write_csv(path: Path, series: list[Series], origin: float) -> None:
    """Long format: timestamp, elapsed_s (since run start), one column per label, value."""
    label_names = sorted({k for s in series for k in s.labels if k != "__name__"})
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "elapsed_s", *label_names, "value"])
        for s in sorted(series, key=lambda s: _key(s.labels)):
            labels = [s.labels.get(k, "") for k in label_names]
            for ts, value in s.points:
                writer.writerow([f"{ts:.3f}", f"{ts - origin:.3f}", *labels, repr(value)])


def _merge_report(out_dir: Path, window: Window, params: Params, outcomes: list[Outcome]) -> None:
    """Merge outcomes into collection.json by name (atomically). A failed query keeps an earlier good entry."""
    path = out_dir / REPORT_FILE
    entries = {str(e.get("name")): e for e in read_report(path).get("metrics", []) if isinstance(e, dict)}
    for o in outcomes:
        entry = {**asdict(o), "params": asdict(params)}
        earlier = entries.get(o.name)
        if o.status == "error" and earlier is not None and earlier.get("status") == "ok":
            earlier["last_error"] = {"query": o.query, "error": o.error}  # its CSV is still the earlier one
            continue
        entries[o.name] = entry
    doc = {"window": asdict(window), "params": asdict(params), "metrics": list(entries.values())}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, path)


def read_report(path: Path) -> dict[str, Any]:
    """collection.json as a dict; {} when absent or unreadable (a re-collection then starts afresh)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _reason(exc: QueryError) -> str:
    """The cause without the URL the client puts first ("http://h:9: [Errno 111] ..." -> "[Errno 111] ...")."""
    return exc.message.split(": ", 1)[-1]


def _key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k != "__name__"))


def _dur(seconds: float) -> str:
    """PromQL duration: whole seconds when possible (`30s`), else milliseconds (`1500ms`)."""
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


def collect_run(run_dir: Path, prometheus_url: str, *, profiles: tuple[str, ...] | list[str] | None = None,
                scrape_interval: float = DEFAULT_SCRAPE_INTERVAL_S, step: float | None = None,
                progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:  # fmt: skip
    """Load the profiles, derive the window from the run's journal and collect everything into the run folder."""
    metrics = profile_mod.load(tuple(profiles) if profiles else profile_mod.BUILTIN)
    window = run_window(Path(run_dir))
    params = choose_params(window, scrape_interval=scrape_interval, step=step, chart_version=operator_chart(run_dir))
    return collect(PromClient(prometheus_url), metrics, window, params, Path(run_dir), progress=progress)


def summary_line(outcomes: list[Outcome]) -> str:
    """`14 metrics: 11 ok, 2 without data (a, b), 1 failed (c)`."""
    ok = [o.name for o in outcomes if o.status == "ok"]
    empty = [o.name for o in outcomes if o.status == "empty"]
    failed = [o.name for o in outcomes if o.status == "error"]
    parts = [f"{len(ok)} ok"]
    if empty:
        parts.append(f"{len(empty)} without data ({', '.join(empty)})")
    if failed:
        parts.append(f"{len(failed)} failed ({', '.join(failed)})")
    return f"{len(outcomes)} metrics: " + ", ".join(parts)
