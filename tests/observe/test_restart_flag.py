"""An operator restart re-counts every stored app (kubeflow/spark-operator v2.1.0 internal/metrics/
sparkapplication_metrics.go HandleSparkApplicationCreate): collection flags every spark_application_* series,
and reads the chart version (hence `$controller`) from the run's manifest."""

from __future__ import annotations

import json
from pathlib import Path

from benchkit.observe import collect
from benchkit.observe.collect import Outcome, Params, Window
from benchkit.observe.promql import Result, Series


class RestartedOnce:
    """Answers the restart query with `restarts`; records the queries it was asked."""

    def __init__(self, restarts: float) -> None:
        self.restarts = restarts
        self.asked: list[str] = []

    def instant(self, query: str, time: float | None = None) -> Result:
        self.asked.append(query)
        return Result(series=[Series(labels={}, points=[(time or 0.0, self.restarts)])], warnings=[])


def _outcomes() -> list[Outcome]:
    return [Outcome("operator_completed_per_min", "range", "sum(rate(spark_application_success_count[8s]))", "ok"),
            Outcome("workqueue_depth", "range", 'sum(workqueue_depth{name="x"})', "ok")]  # fmt: skip


def test_a_restart_flags_the_operators_counter_series() -> None:
    prom = RestartedOnce(1.0)
    outcomes = _outcomes()
    params = Params(step=1.0, rate=4.0, window=60.0, controller="sparkapplication")
    collect._flag_restart(prom, Window(0.0, 60.0), params, outcomes)  # type: ignore[arg-type]
    assert 'controller="sparkapplication"' in prom.asked[0] and "process_start_time_seconds[60s]" in prom.asked[0]
    assert outcomes[0].warnings and "restarted 1 time(s)" in outcomes[0].warnings[0]
    assert outcomes[1].warnings == []


def test_no_restart_no_warning() -> None:
    outcomes = _outcomes()
    params = Params(step=1.0, rate=4.0, window=60.0)
    collect._flag_restart(RestartedOnce(0.0), Window(0.0, 60.0), params, outcomes)  # type: ignore[arg-type]
    assert all(o.warnings == [] for o in outcomes)


def test_the_chart_comes_from_the_manifest(tmp_path: Path) -> None:
    assert collect.operator_chart(tmp_path) is None  # no manifest: the default chart's names are used
    (tmp_path / "manifest.json").write_text(json.dumps({"target": {"spark_operator": {"chart": "spark-operator-2.5.2"}},
                                                        "embedded_twin": None}))  # fmt: skip
    assert collect.operator_chart(tmp_path) == "spark-operator-2.5.2"
    params = collect.choose_params(Window(0.0, 60.0), chart_version=collect.operator_chart(tmp_path))
    assert params.variables()["controller"] == "sparkapplication"
    (tmp_path / "manifest.json").write_text(json.dumps({"target": {}, "embedded_twin": {"operator_chart": "2.1.0"}}))
    assert collect.choose_params(Window(0.0, 60.0), chart_version=collect.operator_chart(tmp_path)).controller == (
        "spark-application-controller"
    )
    (tmp_path / "manifest.json").write_text(json.dumps({"target": {"spark_operator": {"chart": "weird"}}}))
    assert collect.operator_chart(tmp_path) is None
