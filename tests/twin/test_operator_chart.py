"""The twin's chart-version personality from one model: the label values of chart 2.1.0 (default) or 2.5.2, and the
metrics only one of them exports (submit latency, v2.5.1+)."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchkit.errors import ConfigError
from benchkit.spark import operator_versions
from benchkit.twin.config import TwinOptions
from benchkit.twin.metrics import RequestStats, TwinCollector, registry, render
from benchkit.twin.model import build_model
from benchkit.twin.model.interface import NodeAdded
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


SUBMIT_HISTOGRAM = "spark_application_submit_latency_seconds_histogram"
SUBMIT_SUMMARY = "spark_application_submit_latency_seconds"
# kubeflow/spark-operator v2.5.2 cmd/operator/controller/start.go --metrics-job-submit-latency-buckets default, and
# charts/spark-operator-chart/values.yaml prometheus.metrics.jobSubmitLatencyBuckets (the chart passes it on)
UPSTREAM_SUBMIT_BUCKETS = ["0.5", "1.0", "2.0", "4.0", "8.0", "16.0", "32.0", "64.0", "128.0", "256.0", "+Inf"]


def _app(name: str) -> dict[str, object]:
    return {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": name, "namespace": "default", "labels": {"app_type": "Scala"}},
            "spec": {"type": "Scala", "mode": "cluster", "driver": {"cores": 1, "memory": "512m"},
                     "executor": {"cores": 1, "instances": 1, "memory": "512m"}}}  # fmt: skip


def _families(chart: str, apps: int = 3) -> tuple[dict[str, tuple[str, list[tuple[str, dict[str, str], float]]]],
                                                  list[float]]:  # fmt: skip
    """(family -> (type, samples)) after `apps` apps ran, and the apps' modelled creation-to-SUBMITTED times."""
    model = build_model("fast", nodes=2, max_pods=20)
    model.initial_changes(1000.0)
    for i in range(apps):
        model.app_created(_app(f"a{i}"), 1000.0 + i)
    model.advance(1100.0)
    collector = TwinCollector(RequestStats(), Store(1000), lambda: model.metrics(1100.0), operator_chart=chart)
    families = {f.name: (f.type, [(s.name, s.labels, s.value) for s in f.samples])
                for f in text_string_to_metric_families(render(registry(collector)).decode())}  # fmt: skip
    submitted = [a.submitted_at - a.created_at for a in model.operator.apps.values()]
    return families, submitted


def test_submit_latency_is_exported_from_v2_5_1_only() -> None:
    """kubeflow/spark-operator pkg/common/metrics.go defines MetricSparkApplicationSubmitLatencySeconds(Histogram)
    and internal/metrics/sparkapplication_metrics.go registers both at v2.5.1 and v2.5.2, neither at v2.1.0,
    v2.1.1 or v2.5.0."""
    assert not operator_versions.exports_submit_latency("2.1.0")
    assert not operator_versions.exports_submit_latency("2.5.0")
    assert operator_versions.exports_submit_latency("2.5.1")
    assert operator_versions.exports_submit_latency("spark-operator-2.5.2")
    old, _ = _families("2.1.0")
    assert SUBMIT_HISTOGRAM not in old and SUBMIT_SUMMARY not in old
    assert "spark_application_start_latency_seconds_histogram" in old  # the rest of the operator's metrics stay


def test_submit_latency_histogram_under_2_5_2_has_upstreams_name_type_labels_buckets_and_values() -> None:
    """v2.5.2 internal/metrics/sparkapplication_metrics.go: a HistogramVec and a SummaryVec (no objectives), labels
    the --metrics-labels (app_type, the chart's default), observed once per app at its change to SUBMITTED with
    submissionAttempts 1, the time since its creation."""
    families, submitted = _families("2.5.2", apps=3)
    kind, samples = families[SUBMIT_HISTOGRAM]
    assert kind == "histogram"
    buckets = [s for s in samples if s[0] == f"{SUBMIT_HISTOGRAM}_bucket"]
    assert [labels["le"] for _, labels, _ in buckets] == UPSTREAM_SUBMIT_BUCKETS
    assert {frozenset(labels) for _, labels, _ in samples} == {frozenset({"app_type", "le"}), frozenset({"app_type"})}
    assert {labels["app_type"] for _, labels, _ in samples} == {"Scala"}
    by_name = {name: value for name, labels, value in samples if "le" not in labels}
    assert len(submitted) == 3 and all(t > 0 for t in submitted)
    assert by_name[f"{SUBMIT_HISTOGRAM}_count"] == 3
    assert by_name[f"{SUBMIT_HISTOGRAM}_sum"] == pytest.approx(sum(submitted))
    assert buckets[-1][2] == 3 and buckets[0][2] == sum(t <= 0.5 for t in submitted)
    kind, summary = families[SUBMIT_SUMMARY]
    assert kind == "summary"
    assert {name for name, _, _ in summary} == {f"{SUBMIT_SUMMARY}_count", f"{SUBMIT_SUMMARY}_sum"}


def test_operator_cpu_request_is_kube_state_metrics_series_for_the_operator_pod() -> None:
    """kubernetes/kube-state-metrics v2.20.0 internal/store/pod.go: kube_pod_container_resource_requests, a gauge
    labelled namespace, pod, uid (wrapPodFunc) and container, node, resource, unit; a CPU request in cores with
    unit "core" (pkg/constant/resource_unit.go UnitCore). The twin's is the operator controller's request: the
    vCPUs its model gives the operator, on the operator group's node."""
    model = build_model("fast", nodes=1, max_pods=10, operator_cpus=6.5)
    changes = model.initial_changes(1000.0)
    families = {
        f.name: f
        for f in text_string_to_metric_families(
            render(registry(TwinCollector(RequestStats(), Store(1000), lambda: model.metrics(1000.0)))).decode()
        )
    }
    family = families["kube_pod_container_resource_requests"]
    assert family.type == "gauge"
    ((labels, value),) = [(s.labels, s.value) for s in family.samples]
    assert set(labels) == {"namespace", "pod", "uid", "container", "node", "resource", "unit"}
    assert (labels["container"], labels["resource"], labels["unit"]) == ("spark-operator-controller", "cpu", "core")
    assert value == 6.5
    operator_nodes = [c.node["metadata"]["name"] for c in changes if isinstance(c, NodeAdded)
                      and c.node["metadata"]["labels"]["NodeGroupType"] == "spark-operator-benchmark"]  # fmt: skip
    assert operator_nodes == [labels["node"]]
    # the same pod as the operator's cAdvisor series (its CPU panel plots both)
    (cpu,) = families["container_cpu_usage_seconds"].samples
    assert {k: cpu.labels[k] for k in ("namespace", "pod", "container")} == {
        k: labels[k] for k in ("namespace", "pod", "container")
    }
