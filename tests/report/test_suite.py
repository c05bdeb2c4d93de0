"""`benchkit suite`: validation before anything runs, then a real 2-run matrix on the embedded twin."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import observekit
import pytest
import yaml
from matplotlib.axes import Axes

from benchkit.errors import ConfigError
from benchkit.orchestrate.suite import exit_code, load_suite
from benchkit.report.suite import CellResult, chart_figures, read_cell


def _suite(tmp_path: Path, body: dict[str, object]) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"matrix": {}}, "matrix needs at least one key"),
        ({"matrix": {"jobs-per-min": 60}}, "must be a non-empty list"),
        ({"matrix": {"jobs-per-minute": [60]}}, "unknown setting 'jobs-per-minute'"),
        ({"matrix": {"jobs-per-min": [60, -1]}}, "cell jobs-per-min=-1"),
        ({"matrix": {"jobs-per-min": [60]}, "repeat": 0}, "repeat must be an integer >= 1"),
        ({"matrix": {"jobs-per-min": [60]}, "base": {"jobs-per-min": 30}}, "both in base and in matrix"),
        ({"matrix": {"jobs-per-min": [60]}, "runs": 3}, "unknown key 'runs'"),
        ({"matrix": {"jobs-per-min": [60]}, "base": {"slo": ["jobs.failed < x"]}}, "'x' is not a number"),
    ],
)
def test_bad_suites_are_rejected_before_running(tmp_path: Path, body: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_suite(_suite(tmp_path, body))


def test_cli_bad_suite_is_exit_2_with_nothing_run(tmp_path: Path) -> None:
    path = _suite(tmp_path, {"matrix": {"operator-workers": [1, 0]}})
    proc = observekit.benchkit("suite", str(path), "--results-dir", str(tmp_path / "out"))
    assert proc.returncode == 2 and "operator-workers must be >= 1" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_matrix_product_and_dry_run(tmp_path: Path) -> None:
    path = _suite(tmp_path, {"name": "grid", "base": {"total-jobs": 5},
                             "matrix": {"jobs-per-min": [60, 120, 240], "spark-namespaces": [["spark-team-a"],
                                        ["spark-team-a", "spark-team-b"]], "operator-workers": [2]},
                             "repeat": 2})  # fmt: skip
    suite = load_suite(path)
    assert len(suite.cells) == 12 and suite.dimensions == ["jobs-per-min", "spark-namespaces"]
    proc = observekit.benchkit("suite", str(path), "--dry-run")
    assert proc.returncode == 0 and "suite grid: 12 runs over jobs-per-min x spark-namespaces" in proc.stdout
    assert "jobs-per-min=240, spark-namespaces=spark-team-a,spark-team-b, operator-workers=2" in proc.stdout


@pytest.mark.slow
def test_real_suite_writes_csv_charts_and_html(tmp_path: Path) -> None:
    # 10 Locust users: 1500/min stays offered even when a busy machine slows each create to ~0.3 s (3 users
    # then send ~600/min, below what one worker picks up, and the cells cannot differ). 60 jobs: 2.4 s of sends,
    # so the operator's pick-ups between the 10th and 90th percentile span ~1.9 s, above the 1 s below which
    # summary.json leaves operator.apps_per_min null (40 jobs spanned < 1 s once a busy machine bunched the sends).
    # 20 nodes hold the 60 apps' pods; the default 200 would only make every scrape of the twin 10x larger.
    path = _suite(tmp_path, {"name": "workers", "base": {"total-jobs": 60, "jobs-per-min": 1500, "app-seconds": 1,
                                                        "users": 10, "nodes": 20},
                             "matrix": {"operator-workers": [1, 4]}})  # fmt: skip
    proc = observekit.benchkit("suite", str(path), "--results-dir", str(tmp_path / "out"), timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    [out] = list((tmp_path / "out").glob("suite-workers-*"))
    with (out / "suite.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["operator-workers"] for r in rows] == ["1", "4"]
    assert all(r["status"] == "ok" and r["jobs_completed"] == "60" for r in rows)
    one, four = (float(r["operator_apps_per_min"]) for r in rows)
    assert four > 1.3 * one, (one, four)  # more workers: more throughput, at 1500/min offered
    assert float(rows[0]["create_to_running_p95"]) > float(rows[1]["create_to_running_p95"])
    for name in ("line-operator_apps_per_min.png", "line-create_to_running_p95.png", "suite.html"):
        assert (out / name).stat().st_size > 5000
    for row in rows:  # every cell is a complete run folder, with its own report and metrics
        run = Path(row["run_dir"])
        assert (run / "report.html").is_file() and (run / "metrics" / "workqueue_depth.csv").is_file()
    assert (out / "cells" / "000.yaml").is_file() and (out / "cells" / "001.log").is_file()


def test_heatmap_cells_read_as_plain_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """1500 apps/min is written 1500 in its cell, not 1.5e+03."""
    written: list[str] = []
    original = Axes.text

    def spy(self: Axes, x: float, y: float, s: str, *args: Any, **kwargs: Any) -> Any:
        written.append(s)
        return original(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(Axes, "text", spy)
    figures = {"operator_apps_per_min": 1500.0, "create_to_running_p95": 0.0512}
    cells = [CellResult(i, 0, {"jobs-per-min": rate, "operator-workers": 4}, 0, None, dict(figures))
             for i, rate in enumerate((1500, 3000))]  # fmt: skip
    chart_figures(["jobs-per-min", "operator-workers"], cells)
    assert written.count("1500") == 2 and written.count("0.0512") == 2
    assert not [w for w in written if "e+" in w or "e-" in w]


@pytest.mark.slow
def test_heatmaps_for_two_dimensions_from_real_runs(observed: observekit.Environment) -> None:
    cells = [read_cell(0, 0, {"jobs-per-min": 600, "nodes": 20}, observed.base.exit_code, observed.base.path),
             read_cell(1, 0, {"jobs-per-min": 1500, "nodes": 20}, observed.candidate.exit_code,
                       observed.candidate.path)]  # fmt: skip
    figures = chart_figures(["jobs-per-min", "nodes"], cells)
    assert {f.id for f in figures} == {
        "line-operator_apps_per_min",
        "heatmap-operator_apps_per_min",
        "line-create_to_running_p95",
        "heatmap-create_to_running_p95",
    }
    assert all(f.png.startswith(b"\x89PNG") and len(f.png) > 5000 for f in figures)
    assert exit_code(cells) == 3  # the candidate breached an SLO
    assert exit_code([CellResult(0, 0, {}, 0, None), CellResult(1, 0, {}, 1, None)]) == 1
    p95 = [c.figures["create_to_running_p95"] for c in cells]
    assert p95[1] > p95[0] and not np.isnan(p95[0])
