"""The register of every metric name the dashboards and profiles query, with the upstream source defining it and
the labels the queries select on. A query naming a metric (or selecting on a label) not registered here fails.

Sources were read with `git show <tag>:<path>` on snapshots of the upstream repositories; the twin is never the
source. Names per supported version: Spark Operator chart 2.1.0 (default) and 2.5.2.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from benchkit.observe import profiles
from infra import settings

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
SO = "kubeflow/spark-operator"
CR = "kubernetes-sigs/controller-runtime"
# kube-apiserver: kubernetes/apiserver is the published mirror of kubernetes/kubernetes staging/src/k8s.io/apiserver
# (its tag v0.3N.0 is the same commit as its tag kubernetes-1.3N.0). Every apiserver entry was read at all three tags.
K8S = "kubernetes/apiserver v0.31.0, v0.32.0 and v0.33.0 (staging mirror of kubernetes/kubernetes 1.31, 1.32, 1.33)"
K8S_ENDPOINTS = f"{K8S} pkg/endpoints/metrics/metrics.go"
K8S_STORAGE = f"{K8S} pkg/storage/etcd3/metrics/metrics.go"
K8S_APF = f"{K8S} pkg/util/flowcontrol/metrics/metrics.go"
K8S_ADMISSION = f"{K8S} pkg/admission/metrics/metrics.go"
REQUEST = {"verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"}
KPS = "prometheus-community/helm-charts kube-prometheus-stack-88.5.3 charts/kube-prometheus-stack"
KSM = (
    "kubernetes/kube-state-metrics v2.20.0 (appVersion of chart kube-state-metrics-8.4.0, the subchart "
    f"{KPS}/Chart.yaml pins; the stack's values.yaml leaves image.tag unset)"
)
NE = (
    "prometheus/node_exporter v1.12.1 (appVersion of chart prometheus-node-exporter-4.56.1, the subchart "
    f"{KPS}/Chart.yaml pins; the stack's values.yaml leaves image.tag unset)"
)
CADVISOR = (
    f"google/cadvisor via the kubelet's /metrics/cadvisor ({KPS}/templates/exporters/kubelet/"
    "servicemonitor.yaml); the cAdvisor and kubelet tags were not read"
)
SO_METRICS = f"{SO} v2.1.0 and v2.5.2 pkg/common/metrics.go (names), internal/metrics/ (labels: --metrics-labels)"
APP = {"app_type"}
WQ = f"{CR} v0.17.5 pkg/metrics/workqueue.go (label name; vendored by {SO} v2.1.0 go.mod); v0.20.4 " \
     f"pkg/internal/metrics/workqueue.go (labels name, controller; vendored by v2.5.2)"  # fmt: skip
CTRL = f"{CR} v0.17.5 and v0.20.4 pkg/internal/controller/metrics/metrics.go"
PROCESS = (
    f"prometheus/client_golang v1.20.5 process collector ({SO} v2.1.0 go.mod), registered by {CR} v0.17.5 "
    "pkg/internal/controller/metrics/metrics.go NewProcessCollector"
)

# metric -> (source, labels the queries may select or group on: for the apiserver, kube-state-metrics and
# node-exporter entries, every label the cited source gives the series)
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
        f"{SO} v2.5.2 pkg/common/metrics.go MetricSparkApplicationSubmitLatencySecondsHistogram, "
        "internal/metrics/sparkapplication_metrics.go (observed at the first change to SUBMITTED), buckets "
        "cmd/operator/controller/start.go --metrics-job-submit-latency-buckets; first at v2.5.1 (absent at v2.1.0, "
        "v2.1.1 and v2.5.0)", APP | {"le"}),
    "workqueue_depth": (WQ, {"name", "controller"}),
    "workqueue_adds_total": (WQ, {"name", "controller"}),
    "workqueue_retries_total": (
        f"{WQ}; counted on every AddAfter by kubernetes/client-go v0.29.3 and v0.32.5 (what {SO} v2.1.0 and v2.5.2 "
        "go.mod replace client-go with) util/workqueue/delaying_queue.go", {"name", "controller"}),
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
    "apiserver_request_total": (f"{K8S_ENDPOINTS} requestCounter: counter, STABLE", REQUEST | {"code"}),
    "apiserver_request_duration_seconds_bucket": (
        f"{K8S_ENDPOINTS} requestLatencies: histogram, STABLE, buckets 0.005 to 60; le values kept by "
        f"{KPS}/values.yaml kubeApiServer.serviceMonitor.metricRelabelings", REQUEST | {"le"}),
    "apiserver_storage_objects": (
        f"{K8S_STORAGE} objectCounts: gauge, STABLE; resource is the GroupResource string (pods, "
        "sparkapplications.sparkoperator.k8s.io: pkg/registry/generic/registry/store.go startObservingCount). "
        "kubernetes/apiserver v0.34.0: help text says DEPRECATED for apiserver_resource_objects, still exported",
        {"resource"}),
    "apiserver_resource_objects": (
        "kubernetes/apiserver v0.34.0 pkg/storage/etcd3/metrics/metrics.go newObjectCounts: gauge, ALPHA, resource "
        "without its group (absent at v0.31.0, v0.32.0, v0.33.0: first in kubernetes 1.34)", {"group", "resource"}),
    "apiserver_storage_size_bytes": (
        f"{K8S_STORAGE} storageSizeDescription: gauge, STABLE; monitorCollector reports etcd's DbSize per storage "
        "config as storage_cluster_id etcd-<i> (pkg/storage/storagebackend/factory/etcd3.go Monitor)",
        {"storage_cluster_id"}),
    "apiserver_flowcontrol_current_executing_seats": (
        f"{K8S_APF} apiserverCurrentExecutingSeats: gauge, BETA (absent at v0.27.0, first at v0.28.0)",
        {"priority_level", "flow_schema"}),
    "apiserver_flowcontrol_rejected_requests_total": (
        f"{K8S_APF} apiserverRejectedRequestsTotal: counter, BETA; reason queue-full, concurrency-limit or time-out "
        "(pkg/util/flowcontrol/fairqueuing/queueset/queueset.go AddReject; cancelled last at v0.28.0)",
        {"priority_level", "flow_schema", "reason"}),
    "apiserver_admission_webhook_admission_duration_seconds_bucket": (
        f"{K8S_ADMISSION} webhook latencies: histogram, STABLE, buckets 0.005 to 25; type admit for a mutating "
        "webhook (pkg/admission/plugin/webhook/mutating/dispatcher.go)",
        {"name", "type", "operation", "rejected", "le"}),
    "kube_pod_status_phase": (f"{KSM} docs/metrics/workload/pod-metrics.md: gauge, STABLE",
                              {"namespace", "pod", "phase", "uid"}),
    "kube_node_status_condition": (f"{KSM} docs/metrics/cluster/node-metrics.md: gauge, STABLE",
                                   {"node", "condition", "status"}),
    "kube_pod_container_resource_requests": (
        f"{KSM} docs/metrics/workload/pod-metrics.md: gauge, STABLE; internal/store/pod.go (labels namespace, pod, "
        "uid, container, node, resource, unit; cpu in cores, unit core)",
        {"namespace", "pod", "container", "resource", "unit", "node", "uid"}),
    "node_cpu_seconds_total": (
        f"{NE} collector/cpu_common.go nodeCPUSecondsDesc, collector/cpu_linux.go updateStat: counter; modes user, "
        "nice, system, idle, iowait, irq, softirq, steal", {"cpu", "mode"}),
    "container_cpu_usage_seconds_total": (CADVISOR, {"namespace", "pod", "container"}),
    "container_memory_working_set_bytes": (CADVISOR, {"namespace", "pod", "container"}),
}  # fmt: skip
# "owner/repo <tag>" opening a citation: the repository defining the metric, at a release tag (not a branch or a range)
TAGGED = re.compile(r"[\w.-]+/[\w.-]+ (v\d+\.\d+\.\d+|[a-z][\w-]*-\d+\.\d+\.\d+)\b")
# Entries whose defining repository was not read at a tag, and why; each must still fail TAGGED.
UNTAGGED = {
    "container_cpu_usage_seconds_total": "cAdvisor as vendored by the EKS kubelet: kubernetes/kubernetes go.mod at a "
    "release tag was not read (the repository is above fetch's size limit)",
    "container_memory_working_set_bytes": "as container_cpu_usage_seconds_total",
}
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
        assert "release-" not in source and not re.search(r"\d\.\.\d", source), f"{name}: a branch or range: {source}"
        assert bool(TAGGED.match(source)) is (name not in UNTAGGED), f"{name}: {source}"
    assert set(UNTAGGED) <= set(REGISTER)
    assert TAGGED.match(K8S) and TAGGED.match(KSM) and TAGGED.match(NE)
    assert not TAGGED.match("kubernetes/kubernetes release-1.31..1.33 staging/src/k8s.io/apiserver/pkg")


def test_the_cited_tags_are_the_versions_infra_deploys() -> None:
    """The apiserver entries were read at the default cluster version's minor, the exporters' versions at the
    kube-prometheus-stack chart infra installs: a new default has to be read again before it is cited."""
    default = {f.name: f.default for f in dataclasses.fields(settings.StackSettings)}["kubernetes_version"]
    assert isinstance(default, str)
    major, minor = default.split(".")
    assert major == "1" and f"v0.{minor}.0" in K8S
    assert re.search(rf"mirror of kubernetes/kubernetes [\d., ]*\b{re.escape(default)}\b", K8S), K8S
    chart = settings.MonitoringSettings().chart_version
    for source in (KPS, KSM, NE, REGISTER["apiserver_request_duration_seconds_bucket"][0]):
        assert f"kube-prometheus-stack-{chart}" in source, source
