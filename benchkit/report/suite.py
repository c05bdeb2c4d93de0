"""A suite's outputs: suite.csv (one row per run), heatmaps and line charts across the matrix, suite.html.

The two figures charted are the operator's achieved throughput (apps picked up per minute, steady state)
and the p95 of create-to-RUNNING latency. Every column comes from the run's summary; the latency columns
are every phase (results.phases) at every percentile of the one set (results.stats).
"""

from __future__ import annotations

import csv
import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchkit.report import charts, runfolder
from benchkit.report.figures import Figure
from benchkit.report.render import fmt, render
from benchkit.results.phases import NAMES as PHASES
from benchkit.results.stats import PERCENTILES
from benchkit.results.summary import SUMMARY_FILE

CSV_FILE = "suite.csv"
HTML_FILE = "suite.html"
METRICS: tuple[tuple[str, str, str], ...] = (
    ("operator_apps_per_min", "operator throughput", "apps/min"),
    ("create_to_running_p95", "create to RUNNING p95", "seconds"),
)
_FROM_SUMMARY = {
    "jobs_submitted": "jobs.submitted", "jobs_created": "jobs.created", "jobs_completed": "jobs.completed",
    "jobs_failed": "jobs.failed", "jobs_unfinished": "jobs.unfinished", "target_per_min": "rate.target_per_min",
    "offered_per_min": "rate.offered_per_min", "sent_per_min": "rate.sent_per_min",
    "achieved_per_min": "rate.achieved_per_min", "achieved_ratio": "rate.achieved_ratio",
    "operator_apps_per_min": "operator.apps_per_min",
    **{f"{phase}_p{q}": f"latency_s.{phase}.p{q}" for phase in PHASES for q in PERCENTILES},
    "duration_s": "duration_s",
}  # fmt: skip
"""suite.csv column -> summary path."""
COLUMNS = ("cell", "repeat", "status", "exit_code", "run_id", *_FROM_SUMMARY, "run_dir")


@dataclass
class CellResult:
    cell: int
    repeat: int
    values: dict[str, Any]
    exit_code: int
    run_dir: Path | None
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return {0: "ok", 3: "slo-breach", 130: "interrupted", 2: "bad-input"}.get(self.exit_code, "error")

    @property
    def brief(self) -> str:
        if self.run_dir is None:
            return f"exit {self.exit_code}, no run folder (see cells/{self.cell:03d}.log)"
        f = self.figures
        return (f"operator {fmt(f.get('operator_apps_per_min'))} apps/min, create->RUNNING p95 "
                f"{fmt(f.get('create_to_running_p95'))} s, completed {fmt(f.get('jobs_completed'))} "
                f"({self.run_dir.name})")  # fmt: skip


def read_cell(cell: int, repeat: int, values: dict[str, Any], exit_code: int, run_dir: Path | None) -> CellResult:
    result = CellResult(cell, repeat, values, exit_code, run_dir)
    if run_dir is None or not (run_dir / SUMMARY_FILE).is_file():
        return result
    run = runfolder.load(run_dir)
    figs: dict[str, Any] = {"run_id": run.run_id}
    for column, path in _FROM_SUMMARY.items():
        figs[column] = run.summary.value(path)
    result.figures = figs
    return result


def write_outputs(out: Path, dimensions: list[str], results: list[CellResult]) -> None:
    write_csv(out / CSV_FILE, results)
    figures = chart_figures(dimensions, results)
    for f in figures:
        (out / f"{f.id}.png").write_bytes(f.png)
    html = render("suite.html.j2", name=out.name, dimensions=dimensions, results=results, figures=figures,
                  columns=[m[0] for m in METRICS])  # fmt: skip
    tmp = out / (HTML_FILE + ".tmp")
    tmp.write_text(html)
    os.replace(tmp, out / HTML_FILE)


def write_csv(path: Path, results: list[CellResult]) -> None:
    keys = list(dict.fromkeys(k for r in results for k in r.values))
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*keys, *COLUMNS])
        for r in results:
            row = {"cell": r.cell, "repeat": r.repeat, "status": r.status, "exit_code": r.exit_code,
                   "run_dir": str(r.run_dir or ""), **r.figures}  # fmt: skip
            writer.writerow([_cell(r.values.get(k)) for k in keys] + [_cell(row.get(c)) for c in COLUMNS])


def chart_figures(dimensions: list[str], results: list[CellResult]) -> list[Figure]:
    """Line charts along the first dimension; heatmaps over the first two when there are two or more."""
    out = []
    for column, title, unit in METRICS:
        table = _mean_by(results, dimensions, column)
        out.append(_line(dimensions, table, column, title, unit))
        if len(dimensions) >= 2:
            out += _heatmaps(dimensions, table, column, title, unit)
    return out


def _mean_by(results: list[CellResult], dims: list[str], column: str) -> dict[tuple[str, ...], float]:
    """Mean over repeats of one figure, keyed by the cell's values along `dims` (shown as text)."""
    groups: dict[tuple[str, ...], list[float]] = {}
    for r in results:
        value = r.figures.get(column)
        key = tuple(_cell(r.values.get(d)) for d in dims)
        groups.setdefault(key, [])
        if isinstance(value, int | float) and math.isfinite(value):
            groups[key].append(float(value))
    return {k: (sum(v) / len(v) if v else math.nan) for k, v in groups.items()}


def _line(dims: list[str], table: dict[tuple[str, ...], float], column: str, title: str, unit: str) -> Figure:
    xs = _ordered({k[0] for k in table})
    lines = []
    for rest in _ordered_tuples({k[1:] for k in table}):
        ys = np.asarray([table.get((x, *rest), math.nan) for x in xs], dtype=float)
        label = ", ".join(f"{d}={v}" for d, v in zip(dims[1:], rest, strict=True)) or title
        lines.append((label, np.arange(len(xs), dtype=float), ys))
    png = charts.lines(lines, f"{title} by {dims[0]}", dims[0], unit, xticks=xs)
    return Figure(
        f"line-{column}",
        f"{title} by {dims[0]}",
        f"Mean over repeats; one line per {', '.join(dims[1:]) or 'suite'}.",
        png,
    )


def _heatmaps(dims: list[str], table: dict[tuple[str, ...], float], column: str, title: str, unit: str) -> list[Figure]:
    rows, cols = _ordered({k[0] for k in table}), _ordered({k[1] for k in table})
    out = []
    for rest in _ordered_tuples({k[2:] for k in table})[:6]:
        matrix = np.asarray([[table.get((r, c, *rest), math.nan) for c in cols] for r in rows], dtype=float)
        where = ", ".join(f"{d}={v}" for d, v in zip(dims[2:], rest, strict=True))
        name = f"{title} ({where})" if where else title
        png = charts.heatmap(matrix, rows, cols, title=name, xlabel=dims[1], ylabel=dims[0], cbar=unit,
                             label=fmt)  # fmt: skip  # 1500, not 1.5e+03
        suffix = "-".join(rest)
        out.append(Figure(f"heatmap-{column}{'-' + suffix if suffix else ''}", name,
                          f"Mean over repeats; {dims[0]} down, {dims[1]} across.", png))  # fmt: skip
    return out


def _ordered(values: set[str]) -> list[str]:
    """Numeric strings in numeric order, then the rest alphabetically."""

    def key(v: str) -> tuple[int, float, str]:
        try:
            return (0, float(v), v)
        except ValueError:
            return (1, 0.0, v)

    return sorted(values, key=key)


def _ordered_tuples(values: set[tuple[str, ...]]) -> list[tuple[str, ...]]:
    if not values or values == {()}:
        return [()]
    width = len(next(iter(values)))
    axes = [_ordered({v[i] for v in values}) for i in range(width)]
    return [t for t in itertools.product(*axes) if t in values]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
