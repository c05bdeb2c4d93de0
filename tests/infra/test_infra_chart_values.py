"""Every Helm value infra sets must be a key the chart knows: Helm silently ignores the others.

Checked against the charts' own values.yaml, vendored unmodified in third_party/upstream/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import chart_values, settings
from infra.instances import lookup
from infra.sizing import operator_sizing

UPSTREAM = Path(__file__).resolve().parents[2] / "third_party" / "upstream"
OPERATOR_CHART = yaml.safe_load((UPSTREAM / "spark-operator-chart-2.1.0" / "values.yaml").read_text())
KPS_CHART = yaml.safe_load((UPSTREAM / "kube-prometheus-stack-88.5.3" / "values.yaml").read_text())
# Keys of the grafana *subchart* (grafana/helm-charts), whose values.yaml is not vendored: the parent
# chart passes them through. Kept to the minimum placement needs; see docs/infra.md.
KPS_SUBCHART_KEYS = {"grafana.nodeSelector", "grafana.tolerations", "grafana.resources", "grafana.service.type"}
# Spark Operator keys that only newer charts have: no newer values.yaml is vendored, so infra sets them only for
# chart versions >= 2.1.1 (2.5.1 for the API limits) and only with allowUnverifiedChartValues
# (tests/infra/test_infra_settings.py).
OPERATOR_NEWER_KEYS = {
    "controller.kubeAPIQPS",
    "controller.kubeAPIBurst",
    "prometheus.metrics.jobStartLatencyBuckets",
}


def unknown_keys(ours: dict[str, Any], chart: Any, path: str = "") -> list[str]:
    """Paths in `ours` that the chart's values do not have.

    Below a key whose chart default is an empty map or null (nodeSelector: {}, resources: {},
    storageSpec: {}) anything goes: those are free-form objects passed to Kubernetes.
    """
    found = []
    for key, value in ours.items():
        here = f"{path}{key}"
        if not isinstance(chart, dict) or key not in chart:
            found.append(here)
            continue
        default = chart[key]
        if isinstance(value, dict):
            if isinstance(default, dict) and default:
                found += unknown_keys(value, default, f"{here}.")
            elif default not in ({}, None):
                found.append(f"{here} (a map, the chart has {default!r})")
    return found


def test_the_checker_catches_typos_and_misplaced_keys() -> None:
    assert unknown_keys({"controller": {"wokers": 20}}, OPERATOR_CHART) == ["controller.wokers"]
    # data-on-eks' slip: batchScheduler at the top level instead of under controller
    assert unknown_keys({"batchScheduler": {"enable": False}}, OPERATOR_CHART) == ["batchScheduler"]
    assert unknown_keys({"controller": {"workers": {"x": 1}}}, OPERATOR_CHART) == [
        "controller.workers (a map, the chart has 10)"
    ]
    assert unknown_keys({"controller": {"nodeSelector": {"any": "label"}}}, OPERATOR_CHART) == []


def _operator_values(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "chart_version": "2.1.0",
        "namespaces": ("a", "b"),
        "service_account": "spark",
        "webhook_enabled": True,
        "sizing": operator_sizing(lookup("c5.9xlarge")),
        "workqueue": chart_values.workqueue_values(100, 1000, "1h"),
        "kube_api_qps": 100,
        "kube_api_burst": 200,
        "start_latency_buckets": "30,60,3600",
    }
    return chart_values.spark_operator_values(**(args | overrides))


@pytest.mark.parametrize("webhook", [True, False])
def test_operator_values_on_2_1_0_are_all_chart_keys(webhook: bool) -> None:
    """Every option on: 2.1.0 gets none of the newer keys, and everything else exists in its values.yaml."""
    assert unknown_keys(_operator_values(webhook_enabled=webhook), OPERATOR_CHART) == []


def test_newer_chart_keys_appear_only_on_newer_charts() -> None:
    newer = unknown_keys(_operator_values(chart_version="2.5.2"), OPERATOR_CHART)
    assert set(newer) == OPERATOR_NEWER_KEYS
    # ... and they are exactly the ones settings refuses without allowUnverifiedChartValues
    assert set(settings.NEWER_CHART_VALUE.values()) == OPERATOR_NEWER_KEYS


def test_kube_api_limits_start_at_chart_2_5_1() -> None:
    """kubeflow/spark-operator charts/spark-operator-chart/values.yaml: kubeAPIQPS/kubeAPIBurst are absent at tag
    v2.5.0 and present at v2.5.1 (read with `git show v2.5.0:... / v2.5.1:...`)."""
    assert "kubeAPIQPS" not in _operator_values(chart_version="2.5.0")["controller"]
    assert "kubeAPIBurst" not in _operator_values(chart_version="2.5.0")["controller"]
    assert _operator_values(chart_version="2.5.1")["controller"]["kubeAPIQPS"] == 100
    assert _operator_values(chart_version="2.5.1")["controller"]["kubeAPIBurst"] == 200


def test_start_latency_buckets_start_at_chart_2_1_1() -> None:
    """kubeflow/spark-operator charts/spark-operator-chart/values.yaml: prometheus.metrics.jobStartLatencyBuckets is
    absent at tag v2.1.0 and present at v2.1.1, whose templates/controller/deployment.yaml passes it as
    --metrics-job-start-latency-buckets (read with `git show v2.1.0:... / v2.1.1:...`)."""
    assert "jobStartLatencyBuckets" not in _operator_values(chart_version="2.1.0")["prometheus"]["metrics"]
    for version in ("2.1.1", "2.5.0"):
        metrics = _operator_values(chart_version=version)["prometheus"]["metrics"]
        assert metrics["jobStartLatencyBuckets"] == "30,60,3600"


def test_values_the_stack_registers_are_chart_keys(default_stack) -> None:  # type: ignore[no-untyped-def]
    """The values as the program passes them to Helm (not just the builder's output)."""
    mocks = default_stack.mocks
    operator = mocks.one("kubernetes:helm.sh/v3:Release", "spark-operator-release").inputs["values"]
    assert unknown_keys(operator, OPERATOR_CHART) == []
    kps = mocks.one("kubernetes:helm.sh/v3:Release", "monitoring-release").inputs["values"]
    assert set(unknown_keys(kps, KPS_CHART)) == KPS_SUBCHART_KEYS


def test_monitoring_values_are_chart_keys_except_the_grafana_subchart_ones() -> None:
    from infra.sizing import monitoring_sizing

    values = chart_values.monitoring_values(
        sizing=monitoring_sizing(lookup("r6a.2xlarge")),
        retention="7d",
        storage_gib=100,
        storage_class="gp3",
        scrape_interval="30s",
        grafana_secret="grafana-admin",
    )
    assert set(unknown_keys(values, KPS_CHART)) == KPS_SUBCHART_KEYS


def _deep_merge(base: Any, ours: Any) -> Any:
    if isinstance(base, dict) and isinstance(ours, dict):
        return {k: _deep_merge(base.get(k), ours.get(k)) if k in ours else base[k] for k in {*base, *ours}}
    return ours


def _pod_monitor_selector(prometheus_spec: dict[str, Any], release: str) -> dict[str, Any]:
    """What kube-prometheus-stack 88.5.3 renders as the Prometheus CR's podMonitorSelector
    (prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3,
    charts/kube-prometheus-stack/templates/prometheus/prometheus.yaml): the selector if set, else
    `release: <release>` when podMonitorSelectorNilUsesHelmValues, else {} (every PodMonitor)."""
    if prometheus_spec.get("podMonitorSelector"):
        return dict(prometheus_spec["podMonitorSelector"])
    if prometheus_spec.get("podMonitorSelectorNilUsesHelmValues"):
        return {"matchLabels": {"release": release}}
    return {}


def test_the_stacks_prometheus_selects_the_operators_pod_monitor(default_stack) -> None:  # type: ignore[no-untyped-def]
    """The operator's PodMonitor (kubeflow/spark-operator v2.1.0 charts/spark-operator-chart/templates/prometheus/
    podmonitor.yaml: labels from prometheus.podMonitor.labels, endpoint port = prometheus.metrics.portName, in the
    release namespace) must be picked by the chart's Prometheus under the values infra registers."""
    mocks = default_stack.mocks
    kps = mocks.one("kubernetes:helm.sh/v3:Release", "monitoring-release")
    spec = _deep_merge(KPS_CHART["prometheus"]["prometheusSpec"], kps.inputs["values"]["prometheus"]["prometheusSpec"])
    selector = _pod_monitor_selector(spec, kps.inputs["name"])
    operator = _deep_merge(OPERATOR_CHART, mocks.one("kubernetes:helm.sh/v3:Release", "spark-operator-release")
                           .inputs["values"])  # fmt: skip
    monitor_labels = operator["prometheus"]["podMonitor"].get("labels") or {}
    wanted = selector.get("matchLabels") or {}
    assert all(monitor_labels.get(k) == v for k, v in wanted.items()), (selector, monitor_labels)
    assert not selector.get("matchExpressions")
    assert not spec.get("podMonitorNamespaceSelector")  # {}: PodMonitors in every namespace
    assert operator["prometheus"]["podMonitor"]["create"] is True
    assert operator["prometheus"]["metrics"]["enable"] is True  # the template fails without it
    # the endpoint names the container port the controller Deployment declares (same value, deployment.yaml)
    assert operator["prometheus"]["metrics"]["portName"] == "metrics"
    # with the chart's own default the PodMonitor (no labels) would NOT be selected: the setting matters
    default_selector = _pod_monitor_selector(KPS_CHART["prometheus"]["prometheusSpec"], kps.inputs["name"])
    assert default_selector == {"matchLabels": {"release": kps.inputs["name"]}}
    assert not all(monitor_labels.get(k) == v for k, v in default_selector["matchLabels"].items())


@pytest.mark.parametrize(("chart", "controller"), [("2.1.0", "spark-application-controller"),
                                                   ("2.5.2", "sparkapplication")])  # fmt: skip
def test_the_operator_dashboard_defaults_to_the_deployed_charts_controller(build, chart: str, controller: str) -> None:  # type: ignore[no-untyped-def]
    """kubeflow/spark-operator internal/controller/sparkapplication/controller.go: spark-application-controller at
    v2.1.0, strings.ToLower(kind) at v2.5.2; the repo's dashboards/ as infra ships them."""
    built = build({"sparkOperatorChartVersion": chart})
    maps = {r.inputs["metadata"]["name"]: r for r in built.mocks.of_type("kubernetes:core/v1:ConfigMap")}
    board = json.loads(maps["dashboard-spark-operator-benchmark"].inputs["data"]["spark-operator-benchmark.json"])
    (var,) = [v for v in board["templating"]["list"] if v["name"] == "controller"]
    assert var["current"]["value"] == controller
    assert chart_values.operator_controller_name(chart) == controller
