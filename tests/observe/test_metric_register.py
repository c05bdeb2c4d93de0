"""The register of every metric name the dashboards and profiles query, with the upstream source defining it and
the labels the queries select on. A query naming a metric (or selecting on a label) not registered here fails.

Sources were read with `git show <tag>:<path>` on snapshots of the upstream repositories; the twin is never the
source. Names per supported version: Spark Operator chart 2.1.0 (default) and 2.5.2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from benchkit.observe import profiles

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
SO = "kubeflow/spark-operator"
CR = "kubernetes-sigs/controller-runtime"
K8S = "kubernetes/kubernetes release-1.31..1.33 staging/src/k8s.io/apiserver/pkg"
KSM = "kubernetes/kube-state-metrics (kube-prometheus-stack 88.5.3 Chart.yaml: subchart kube-state-metrics 8.4.0)"
NE = "prometheus/node_exporter (kube-prometheus-stack 88.5.3 Chart.yaml: subchart prometheus-node-exporter 4.56.1)"
CADVISOR = "google/cadvisor via the kubelet /metrics/cadvisor (kube-prometheus-stack 88.5.3 kubelet ServiceMonitor)"
SO_METRICS = f"{SO} v2.1.0 and v2.5.2 pkg/common/metrics.go (names), internal/metrics/ (labels: --metrics-labels)"
APP = {"app_type"}
WQ = f"{CR} v0.17.5 pkg/metrics/workqueue.go (label name; vendored by {SO} v2.1.0 go.mod); v0.20.4 " \
     f"pkg/internal/metrics/workqueue.go (labels name, controller; vendored by v2.5.2)"  # fmt: skip
CTRL = f"{CR} v0.17.5 and v0.20.4 pkg/internal/controller/metrics/metrics.go"
PROCESS = (
    f"prometheus/client_golang v1.20.5 process collector ({SO} v2.1.0 go.mod), registered by {CR} v0.17.5 "
    "pkg/internal/controller/metrics/metrics.go NewProcessCollector"
)

# metric -> (source, labels the queries may select or group on)
REGISTER: dict[str, tuple[str, set[str]]] = {
    "spark_application_count": (SO_METRICS, APP),
    "spark_application_submit_count": (SO_METRICS, APP),
    "spark_application_success_count": (SO_METRICS, APP),
    "spark_application_failure_count": (SO_METRICS, APP),
    "spark_application_running_count": (SO_METRICS, APP),
    "spark_application_start_latency_seconds_sum": (SO_METRICS + " (a Summary)", APP),
    "spark_application_start_latency_seconds_count": (SO_METRICS + " (a Summary)", APP),
    "spark_application_start_latency_seconds_histogram_bucket": (SO_METRICS, APP | {"le"}),
    "spark_application_submit_latency_seconds_histogram_bucket": (
        f"{SO} v2.5.2 pkg/common/metrics.go MetricSparkApplicationSubmitLatencySecondsHistogram (absent at v2.1.0)",
        APP | {"le"}),
    "workqueue_depth": (WQ, {"name", "controller"}),
    "workqueue_adds_total": (WQ, {"name", "controller"}),
    "workqueue_retries_total": (WQ, {"name", "controller"}),
    "workqueue_queue_duration_seconds_bucket": (WQ, {"name", "controller", "le"}),
    "workqueue_work_duration_seconds_bucket": (WQ, {"name", "controller", "le"}),
    "workqueue_unfinished_work_seconds": (WQ, {"name", "controller"}),
    "workqueue_longest_running_processor_seconds": (WQ, {"name", "controller"}),
    "controller_runtime_active_workers": (CTRL, {"controller"}),
    "controller_runtime_max_concurrent_reconciles": (CTRL, {"controller"}),
    "controller_runtime_reconcile_total": (CTRL, {"controller", "result"}),
    "process_cpu_seconds_total": (PROCESS, set()),
    "process_resident_memory_bytes": (PROCESS, set()),
    "process_start_time_seconds": (PROCESS, set()),
    "apiserver_request_total": (f"{K8S}/endpoints/metrics/metrics.go",
                                {"verb", "resource", "code", "group", "version", "subresource", "scope"}),
    "apiserver_request_duration_seconds_bucket": (
        f"{K8S}/endpoints/metrics/metrics.go; le values kept by kube-prometheus-stack 88.5.3 values.yaml "
        "kubeApiServer.serviceMonitor.metricRelabelings", {"verb", "resource", "le"}),
    "apiserver_storage_objects": (f"{K8S}/storage/etcd3/metrics/metrics.go (deprecated 1.34)", {"resource"}),
    "apiserver_resource_objects": (f"kubernetes/kubernetes release-1.34 {K8S[-27:]} (replaces storage_objects)",
                                   {"resource", "group"}),
    "apiserver_storage_size_bytes": (f"{K8S}/storage/etcd3/metrics/metrics.go", set()),
    "apiserver_flowcontrol_current_executing_seats": (f"{K8S}/util/flowcontrol/metrics/metrics.go",
                                                      {"priority_level", "flow_schema"}),
    "apiserver_flowcontrol_rejected_requests_total": (f"{K8S}/util/flowcontrol/metrics/metrics.go",
                                                      {"priority_level", "flow_schema", "reason"}),
    "apiserver_admission_webhook_admission_duration_seconds_bucket": (f"{K8S}/admission/metrics/metrics.go",
                                                                      {"name", "le", "type", "operation"}),
    "kube_pod_status_phase": (f"{KSM} docs/metrics/workload/pod-metrics.md", {"namespace", "pod", "phase"}),
    "kube_node_status_condition": (f"{KSM} docs/metrics/cluster/node-metrics.md", {"node", "condition", "status"}),
    "kube_pod_container_resource_requests": (f"{KSM} docs/metrics/workload/pod-metrics.md",
                                             {"namespace", "pod", "container", "resource", "unit", "node"}),
    "node_cpu_seconds_total": (f"{NE} collector/cpu_linux.go", {"cpu", "mode"}),
    "container_cpu_usage_seconds_total": (CADVISOR, {"namespace", "pod", "container"}),
    "container_memory_working_set_bytes": (CADVISOR, {"namespace", "pod", "container"}),
}  # fmt: skip
TARGET_LABELS = {"job", "instance"}
FUNCTIONS = {"sum", "max", "min", "avg", "rate", "irate", "increase", "deriv", "histogram_quantile", "by", "on",
             "and", "or", "vector", "count", "without", "group_left", "topk", "changes", "max_over_time"}  # fmt: skip


def _queries() -> list[tuple[str, str]]:
    out = [(f"profile {m.name}", m.query) for m in profiles.load()]
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            out += [(f"{path.name} / {panel['title']}", t["expr"]) for t in panel.get("targets", [])]
    return out


def _clean(expr: str) -> str:
    expr = re.sub(r"\$\{?\w+\}?", "1s", expr)  # $rate, $__range, $controller ... (inside quotes too)
    return re.sub(r"\[[^\]]*\]", "", expr)  # range selectors and subqueries


def _uses(expr: str) -> list[tuple[str, set[str]]]:
    """(metric, label names it is selected on) for each metric in `expr`; grouping labels go to every metric."""
    expr = _clean(expr)
    grouping = {lbl.strip() for g in re.findall(r"\b(?:by|on|without)\s*\(([^)]*)\)", expr)
                for lbl in g.split(",") if lbl.strip()}  # fmt: skip
    bare = re.sub(r"\b(?:by|on|without)\s*\([^)]*\)", " ", expr)
    bare = re.sub(r'"[^"]*"', '""', bare)
    out = []
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?", bare):
        name = m.group(1)
        if name in FUNCTIONS or (m.end(1) < len(bare) and bare[m.end(1) :].lstrip().startswith("(")):
            continue
        selected = set(re.findall(r"(\w+)\s*[=!~]", m.group(2) or ""))
        out.append((name, selected | grouping))
    return out


def test_every_queried_metric_and_label_is_registered_with_its_source() -> None:
    problems = []
    for where, expr in _queries():
        for name, labels in _uses(expr):
            if name not in REGISTER:
                problems.append(f"{where}: {name} is not in the register")
                continue
            unknown = labels - REGISTER[name][1] - TARGET_LABELS - {"le"}
            # grouping labels of a binary expression may belong to the other operand
            unknown = {
                lbl for lbl in unknown if not any(lbl in REGISTER[n][1] for n, _ in _uses(expr) if n in REGISTER)
            }
            if unknown:
                problems.append(f"{where}: {name} selected on unregistered label(s) {sorted(unknown)}")
    assert not problems, "\n".join(problems)


def test_the_register_catches_an_unknown_name_and_label() -> None:
    assert _uses('sum(rate(workqueue_retries_total{name="$controller"}[$rate]))') == [
        ("workqueue_retries_total", {"name"})
    ]
    assert "workqueue_depth_total" not in REGISTER
    assert [n for n, _ in _uses("sum by (le) (rate(x_bucket[5m]))")] == ["x_bucket"]
    ((name, labels),) = _uses('sum(spark_application_count{namespace="a"})')
    assert labels - REGISTER[name][1] == {"namespace"}  # chart 2.1.0 has app_type only: this would be refused


def test_every_register_entry_names_its_upstream_source() -> None:
    for name, (source, _) in REGISTER.items():
        assert "/" in source and re.search(r"v\d|release-|\d+\.\d+\.\d+", source), f"{name}: {source}"
