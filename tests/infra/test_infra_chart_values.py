"""Every Helm value infra sets must be a key the chart knows: Helm silently ignores the others.

Checked against the charts' own values.yaml, vendored unmodified in third_party/upstream/.
"""

from __future__ import annotations

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
# chart versions >= 2.5.0 and only with allowUnverifiedChartValues (tests/infra/test_infra_settings.py).
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
