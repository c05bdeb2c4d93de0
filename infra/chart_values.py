"""Helm values for the Spark Operator and kube-prometheus-stack charts (pure dicts).

Every key set here must exist in the chart's own values.yaml: Helm silently ignores unknown keys.
tests/infra/test_infra_chart_values.py checks them against third_party/upstream/.
"""

from __future__ import annotations

import json
from typing import Any

from infra import roles
from infra.config_reader import version_tuple
from infra.sizing import MonitoringSizing, OperatorSizing

OPERATOR_METRICS_PORT = 8080
OPERATOR_SCRAPE_INTERVAL = "5s"  # the operator's own metrics; everything else at the stack's scrapeInterval
GRAFANA_USER_KEY = "admin-user"
GRAFANA_PASSWORD_KEY = "admin-password"
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARD_LABEL_VALUE = "1"
# Spark Operator values that 2.1.0 lacks, set only from these chart versions. No values.yaml of a newer chart
# is vendored, so settings.py refuses them unless allowUnverifiedChartValues is set (see docs/infra.md).
KUBE_API_MIN_VERSION = (2, 5, 1)
"""controller.kubeAPIQPS/kubeAPIBurst: first in kubeflow/spark-operator v2.5.1 charts/spark-operator-chart/values.yaml
(v2.5.0's has neither; v2.5.1's templates/controller/deployment.yaml passes them as --kube-api-qps/--kube-api-burst)."""
START_LATENCY_BUCKETS_MIN_VERSION = (2, 1, 1)
"""prometheus.metrics.jobStartLatencyBuckets: first in kubeflow/spark-operator v2.1.1
charts/spark-operator-chart/values.yaml, passed by its templates/controller/deployment.yaml as
--metrics-job-start-latency-buckets (v2.1.0's chart has neither)."""


def spark_operator_values(
    *,
    chart_version: str,
    namespaces: tuple[str, ...],
    service_account: str,
    webhook_enabled: bool,
    sizing: OperatorSizing,
    workqueue: dict[str, Any],
    kube_api_qps: int | None = None,
    kube_api_burst: int | None = None,
    start_latency_buckets: str | None = None,
) -> dict[str, Any]:
    """Controller + webhook on the operator node, sized by `sizing`; per-namespace driver SA + RBAC; PodMonitor."""
    place = roles.PLACEMENTS[roles.OPERATOR]
    version = version_tuple(chart_version)
    # Requests only, no limits: the controller is CPU-bound (one spark-submit JVM per app) and a CPU
    # limit would throttle exactly what the benchmark measures.
    controller: dict[str, Any] = {
        "replicas": 1,
        "workers": sizing.workers,
        "nodeSelector": place.node_selector,
        "tolerations": place.tolerations,
        "resources": {"requests": {"cpu": sizing.controller_cpu, "memory": sizing.controller_memory}},
    }
    if workqueue:
        controller["workqueueRateLimiter"] = workqueue
    if version >= KUBE_API_MIN_VERSION:
        if kube_api_qps is not None:
            controller["kubeAPIQPS"] = kube_api_qps
        if kube_api_burst is not None:
            controller["kubeAPIBurst"] = kube_api_burst
    webhook: dict[str, Any] = {"enable": webhook_enabled}
    if webhook_enabled:
        webhook |= {
            "nodeSelector": place.node_selector,
            "tolerations": place.tolerations,
            "resources": {"requests": {"cpu": sizing.webhook_cpu, "memory": sizing.webhook_memory}},
        }
    metrics: dict[str, Any] = {"enable": True, "port": OPERATOR_METRICS_PORT, "portName": "metrics",
                               "endpoint": "/metrics", "prefix": ""}  # fmt: skip
    if version >= START_LATENCY_BUCKETS_MIN_VERSION and start_latency_buckets:
        metrics["jobStartLatencyBuckets"] = start_latency_buckets
    return {
        "controller": controller,
        "webhook": webhook,
        # The chart creates the driver ServiceAccount and its Role/RoleBinding in every job namespace.
        "spark": {
            "jobNamespaces": list(namespaces),
            "serviceAccount": {"create": True, "name": service_account},
            "rbac": {"create": True},
        },
        "prometheus": {
            "metrics": metrics,
            "podMonitor": {
                "create": True,
                "jobLabel": "spark-operator-podmonitor",
                "podMetricsEndpoint": {"scheme": "http", "interval": OPERATOR_SCRAPE_INTERVAL},
            },
        },
    }


# The SparkApplication controller's controller-runtime name (the `controller`/`name` label of its metrics):
# kubeflow/spark-operator internal/controller/sparkapplication/controller.go, Named("spark-application-controller")
# at v2.1.0 through v2.4.0, Named(strings.ToLower(kind)) = "sparkapplication" from v2.5.0 (v2.5.2 read).
# The same table as benchkit/spark/operator_versions.py (infra does not import benchkit).
CONTROLLER_RENAMED_IN = (2, 5, 0)
OLD_CONTROLLER_NAME = "spark-application-controller"
NEW_CONTROLLER_NAME = "sparkapplication"


def operator_controller_name(chart_version: str) -> str:
    return NEW_CONTROLLER_NAME if version_tuple(chart_version) >= CONTROLLER_RENAMED_IN else OLD_CONTROLLER_NAME


def dashboard_for_operator_chart(content: str, chart_version: str) -> str:
    """A dashboard JSON whose `$controller` variable (if any) defaults to the controller of the deployed chart."""
    data = json.loads(content)
    variables = (data.get("templating") or {}).get("list") or []
    changed = False
    for var in variables:
        if var.get("name") == "controller":
            name = operator_controller_name(chart_version)
            var["current"] = {"selected": True, "text": name, "value": name}
            changed = True
    return json.dumps(data, indent=2) + "\n" if changed else content


def workqueue_values(qps: int | None, size: int | None, max_delay: str | None) -> dict[str, Any]:
    """controller.workqueueRateLimiter, only the parts set in config (the rest stay chart defaults)."""
    out: dict[str, Any] = {}
    if qps is not None:
        out["bucketQPS"] = qps
    if size is not None:
        out["bucketSize"] = size
    if max_delay is not None:
        out["maxDelay"] = {"enable": True, "duration": max_delay}
    return out


def monitoring_values(
    *,
    sizing: MonitoringSizing,
    retention: str,
    storage_gib: int,
    storage_class: str,
    scrape_interval: str,
    grafana_secret: str,
) -> dict[str, Any]:
    """Prometheus + Grafana on the monitoring node, selectors that take every Pod/ServiceMonitor, a gp3 PVC."""
    place = roles.PLACEMENTS[roles.MONITORING]
    # Seed 002: generous requests and no low limits; Prometheus memory grows with the 36k pods' series.
    prometheus_spec = {
        "nodeSelector": place.node_selector,
        "tolerations": place.tolerations,
        "resources": {"requests": {"cpu": sizing.prometheus_cpu, "memory": sizing.prometheus_memory}},
        "retention": retention,
        # Stop short of a full disk: Prometheus crash-loops when its volume fills up.
        "retentionSize": f"{int(storage_gib * 0.85)}GB",
        "scrapeInterval": scrape_interval,
        "evaluationInterval": scrape_interval,
        "podMonitorSelectorNilUsesHelmValues": False,
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "scrapeConfigSelectorNilUsesHelmValues": False,
        "storageSpec": {
            "volumeClaimTemplate": {
                "spec": {
                    "storageClassName": storage_class,
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": f"{storage_gib}Gi"}},
                }
            }
        },
    }
    grafana = {
        "enabled": True,
        "admin": {"existingSecret": grafana_secret, "userKey": GRAFANA_USER_KEY, "passwordKey": GRAFANA_PASSWORD_KEY},
        "ingress": {"enabled": False},
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": DASHBOARD_LABEL,
                "labelValue": DASHBOARD_LABEL_VALUE,
                "searchNamespace": "ALL",
            }
        },
        # The next four live in the grafana subchart's values.yaml (not vendored; see docs/infra.md).
        "nodeSelector": place.node_selector,
        "tolerations": place.tolerations,
        "resources": {"requests": {"cpu": sizing.grafana_cpu, "memory": sizing.grafana_memory}},
        "service": {"type": "ClusterIP"},
    }
    return {"alertmanager": {"enabled": False}, "prometheus": {"prometheusSpec": prometheus_spec}, "grafana": grafana}
