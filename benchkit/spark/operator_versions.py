"""What a Spark Operator chart version changes in the operator's metrics: the SparkApplication controller's name.

controller-runtime labels its workqueue (`name=`) and controller (`controller=`) metrics with the name the
controller registers under, and that name changed between releases:

- kubeflow/spark-operator v2.1.0 … v2.4.0, internal/controller/sparkapplication/controller.go (SetupWithManager):
  `Named("spark-application-controller")`.
- kubeflow/spark-operator v2.5.0 and later (v2.5.2 read), same file: `Named(name)` with
  `name := strings.ToLower(kind)`, i.e. `sparkapplication`.

The chart version and the app version move together (chart 2.1.0 ships image v2.1.0, charts/spark-operator-chart/
Chart.yaml at each tag). The label set is the same in both: the chart passes `--metrics-labels=app_type`
(hard-coded in v2.1.0's charts/spark-operator-chart/templates/controller/deployment.yaml, the default of
`prometheus.metrics.labels` from v2.5.0).
"""

from __future__ import annotations

import re

DEFAULT_CHART = "2.1.0"
"""The chart version infra deploys by default (infra/settings.py) and the twin stands in for by default."""
SUPPORTED_CHARTS = ("2.1.0", "2.5.2")
"""The versions whose sources were read for the metric register (tests/observe/test_metric_register.py)."""
NAMED_BY_KIND_FROM = (2, 5, 0)
OLD_CONTROLLER = "spark-application-controller"
NEW_CONTROLLER = "sparkapplication"
CONTROLLER_NAMES = (OLD_CONTROLLER, NEW_CONTROLLER)
METRICS_LABELS = ("app_type",)
"""Labels on spark_application_* / spark_executor_* with the chart's default --metrics-labels."""
WORKQUEUE_CONTROLLER_LABEL_FROM = (2, 1, 1)
"""workqueue_* carry `name` only under controller-runtime v0.17.5 (its pkg/metrics/workqueue.go), which v2.1.0's
go.mod vendors; `name` and `controller` from v0.20 (pkg/internal/metrics/workqueue.go at v0.20.0/v0.20.4), which
v2.1.1 (v0.20.1) and later vendor (v2.5.2: v0.20.4)."""
SUBMIT_LATENCY_FROM = (2, 5, 1)
"""spark_application_submit_latency_seconds (a Summary) and spark_application_submit_latency_seconds_histogram:
defined in pkg/common/metrics.go and registered in internal/metrics/sparkapplication_metrics.go from v2.5.1
(present at v2.5.1 and v2.5.2; absent at v2.1.0, v2.1.1 and v2.5.0)."""
SUBMIT_LATENCY_METRICS = (
    "spark_application_submit_latency_seconds",
    "spark_application_submit_latency_seconds_histogram",
)
_VERSION = re.compile(r"^(?:spark-operator-)?v?(\d+)\.(\d+)\.(\d+)")


def parse(version: str) -> tuple[int, int, int]:
    """`2.1.0`, `v2.5.2` or a `helm.sh/chart` label value `spark-operator-2.5.2` -> (2, 5, 2)."""
    match = _VERSION.match(version.strip())
    if match is None:
        raise ValueError(f"not a Spark Operator chart version: {version!r} (expected e.g. 2.1.0)")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def controller_name(chart_version: str | None) -> str:
    """The SparkApplication controller's controller-runtime name under `chart_version` (default chart if None)."""
    version = parse(chart_version or DEFAULT_CHART)
    return NEW_CONTROLLER if version >= NAMED_BY_KIND_FROM else OLD_CONTROLLER


def workqueue_has_controller_label(chart_version: str | None) -> bool:
    return parse(chart_version or DEFAULT_CHART) >= WORKQUEUE_CONTROLLER_LABEL_FROM


def exports_submit_latency(chart_version: str | None) -> bool:
    """Whether the operator of `chart_version` (default chart if None) exports the submit-latency metrics."""
    return parse(chart_version or DEFAULT_CHART) >= SUBMIT_LATENCY_FROM
