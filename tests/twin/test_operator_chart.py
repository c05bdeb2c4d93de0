"""The twin's chart-version personality: the label values of chart 2.1.0 (default) or 2.5.2, from one model."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchkit.errors import ConfigError
from benchkit.spark import operator_versions
from benchkit.twin.config import TwinOptions
from benchkit.twin.metrics import RequestStats, TwinCollector, registry, render
from benchkit.twin.model import build_model
from benchkit.twin.store import Store


def _labels(chart: str) -> dict[str, set[str]]:
    model = build_model("fast", nodes=1, max_pods=10)
    model.initial_changes(1000.0)
    collector = TwinCollector(RequestStats(), Store(1000), lambda: model.metrics(1000.0), operator_chart=chart)
    text = render(registry(collector)).decode()
    out: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            for key in ("controller", "name"):
                if key in s.labels:
                    out.setdefault(f"{s.name}:{key}", set()).add(s.labels[key])
    return out


@pytest.mark.parametrize(
    ("chart", "controller"),
    [("2.1.0", "spark-application-controller"), ("2.5.2", "sparkapplication")],
)
def test_controller_label_values_follow_the_chart(chart: str, controller: str) -> None:
    """v2.1.0 Named("spark-application-controller"); v2.5.x Named(strings.ToLower(kind)) (kubeflow/spark-operator
    internal/controller/sparkapplication/controller.go at both tags)."""
    labels = _labels(chart)
    # workqueue_* label sets: controller-runtime v0.17.5 (vendored by v2.1.0) pkg/metrics/workqueue.go has `name`
    # only; v0.20.4 (vendored by v2.5.2) pkg/internal/metrics/workqueue.go has `name` and `controller`
    assert ("workqueue_depth:controller" in labels) == (chart != "2.1.0")
    if chart != "2.1.0":
        assert labels["workqueue_depth:controller"] == {controller}
    for name in ("workqueue_depth:name", "workqueue_adds_total:name", "workqueue_retries_total:name",
                 "controller_runtime_active_workers:controller",
                 "controller_runtime_max_concurrent_reconciles:controller",
                 "workqueue_queue_duration_seconds_bucket:name"):  # fmt: skip
        assert labels[name] == {controller}, name


def test_controller_name_by_version() -> None:
    assert operator_versions.controller_name("2.1.0") == "spark-application-controller"
    assert operator_versions.controller_name("spark-operator-2.4.0") == "spark-application-controller"
    assert operator_versions.controller_name("v2.5.0") == "sparkapplication"
    assert operator_versions.controller_name("2.5.2") == "sparkapplication"
    assert operator_versions.controller_name(None) == "spark-application-controller"
    with pytest.raises(ValueError, match="not a Spark Operator chart version"):
        operator_versions.parse("latest")


def test_unknown_chart_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"--operator-chart must be one of 2\.1\.0, 2\.5\.2"):
        TwinOptions(operator_chart="2.3.0")
    assert "--operator-chart" in TwinOptions(operator_chart="2.5.2").to_args()
