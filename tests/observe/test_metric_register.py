"""The register of every metric name the dashboards and profiles query, with the upstream source defining it and
the labels the queries select on. A query naming a metric (or selecting on a label) not registered here fails:
panel targets, the dashboards' templating variables (`label_values(...)`) and the series and queries
benchkit/observe/doctor_checks.py names.

Sources were read with `git show <tag>:<path>` on snapshots of the upstream repositories; the twin is never the
source. Names per supported version: Spark Operator chart 2.1.0 (default) and 2.5.2.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from benchkit.observe import doctor_checks, profiles
from infra import settings

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
KPS_VALUES = Path(__file__).resolve().parents[2] / "third_party" / "upstream"
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
HELM = "prometheus-community/helm-charts"
KPS = f"{HELM} kube-prometheus-stack-88.5.3 charts/kube-prometheus-stack"
# How the exporter versions were derived: {KPS}/Chart.yaml lists each subchart at an exact version (no range; the
# chart keeps no Chart.lock in git, its .gitignore lists it), the subchart's Chart.yaml at its own tag gives
# appVersion, its templates/_helpers.tpl makes the image tag "v" + appVersion when image.tag is empty (its
# values.yaml default), and the stack's values.yaml sets no image under kube-state-metrics or
# prometheus-node-exporter.
PINNED = (
    "the version {KPS}/Chart.yaml dependencies pin exactly; appVersion in {chart}/Chart.yaml at {HELM} tag {tag}, "
    "the image tag by default ({chart}/templates/_helpers.tpl {helper}; the stack sets no image)"
)
KSM = "kubernetes/kube-state-metrics v2.20.0 (appVersion of chart kube-state-metrics-8.4.0, " + PINNED.format(
    KPS=KPS, HELM=HELM, chart="charts/kube-state-metrics", tag="kube-state-metrics-8.4.0",
    helper="kube-state-metrics.image") + ")"  # fmt: skip
NE = "prometheus/node_exporter v1.12.1 (appVersion of chart prometheus-node-exporter-4.56.1, " + PINNED.format(
    KPS=KPS, HELM=HELM, chart="charts/prometheus-node-exporter", tag="prometheus-node-exporter-4.56.1",
    helper="prometheus-node-exporter.image") + ")"  # fmt: skip
# cAdvisor as the EKS kubelet vendors it: the version kubernetes/kubernetes go.mod pins at each release tag, read
# in its release notes (go.mod at a tag could not be read: the repository is above the snapshot size limit):
# CHANGELOG/CHANGELOG-1.32.md (stored copy at commit 030880a5dc54), section v1.32.0, "Dependencies / Changed":
# github.com/google/cadvisor v0.49.0 -> v0.51.0 (changelog since v1.31.0); CHANGELOG/CHANGELOG-1.33.md (at
# 2e94b405ac89), section v1.33.0: v0.51.0 -> v0.52.1. The two names, their types and the `cpu` label are the same
# at the three cAdvisor tags.
CADVISOR_PINS = {"1.31": "v0.49.0", "1.32": "v0.51.0", "1.33": "v0.52.1"}
CADVISOR = (
    "google/cadvisor v0.49.0, v0.51.0 and v0.52.1 (what kubernetes/kubernetes v1.31.0, v1.32.0 and v1.33.0 go.mod "
    "pin, per their CHANGELOG Dependencies) metrics/prometheus.go NewPrometheusCollector {what}; base labels id, "
    "name, image from the kubelet's ContainerLabelsFunc, which adds pod, namespace and container "
    "(kubernetes/kubernetes pkg/kubelet/server/server.go containerPrometheusLabelsFunc, served at "
    "/metrics/cadvisor; read in a stored copy, NOT at a tag, but the stack's own recording rules at its tag, "
    f"{KPS}/templates/prometheus/rules-1.14/k8s.rules.container_cpu_usage_seconds_total.yaml and "
    "k8s.rules.container_memory_working_set_bytes.yaml, select both on metrics_path, image and sum them by "
    "namespace, pod, container); scraped by "
    f"{KPS}/templates/exporters/kubelet/servicemonitor.yaml (path /metrics/cadvisor) with values.yaml "
    "kubelet.serviceMonitor: honorLabels true (the exporter's namespace/pod win over the target's), "
    "cAdvisorRelabelings adds metrics_path, cAdvisorMetricRelabelings drop series with an id and no pod and "
    "leave these names alone"
)
CADVISOR_LABELS = {"namespace", "pod", "container", "id", "name", "image", "metrics_path"}
SO_METRICS = f"{SO} v2.1.0 and v2.5.2 pkg/common/metrics.go (names), internal/metrics/ (labels: --metrics-labels)"
APP = {"app_type"}
WQ = f"{CR} v0.17.5 pkg/metrics/workqueue.go (label name; vendored by {SO} v2.1.0 go.mod); v0.20.4 " \
     f"pkg/internal/metrics/workqueue.go (labels name, controller; vendored by v2.5.2)"  # fmt: skip
CTRL = f"{CR} v0.17.5 and v0.20.4 pkg/internal/controller/metrics/metrics.go"
PROCESS = (
    f"prometheus/client_golang v1.20.5 ({SO} v2.1.0 go.mod; v1.23.2 at v2.5.2) prometheus/process_collector.go "
    "NewProcessCollector (names, no labels: process_cpu_seconds_total counter, process_resident_memory_bytes and "
    "process_start_time_seconds gauges, as prometheus/process_collector_other.go sends them on Linux), called "
    "by prometheus/collectors/process_collector.go, which "
    f"{CR} v0.17.5 and v0.20.4 pkg/internal/controller/metrics/metrics.go registers"
)
# Series Prometheus writes itself for every target (prometheus/prometheus v3.14.0, the image tag of
# {KPS}/values.yaml prometheus.prometheusSpec.image, scrape/scrape.go scrapeHealthMetric): the doctor's query
# reads `up`.
PROMETHEUS = "prometheus/prometheus v3.14.0 scrape/scrape.go scrapeHealthMetric (gauge; target labels only)"

# metric -> (source, labels the queries may select or group on: for the apiserver, kube-state-metrics,
# node-exporter and cAdvisor entries, every label the cited sources give the series as Prometheus stores it)
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
    "container_cpu_usage_seconds_total": (
        CADVISOR.format(what='"container_cpu_usage_seconds_total": counter, extra label cpu ("total" when the '
                             'cgroup reports no per-CPU usage)'), CADVISOR_LABELS | {"cpu"}),
    "container_memory_working_set_bytes": (
        CADVISOR.format(what='"container_memory_working_set_bytes": gauge, no extra label'), CADVISOR_LABELS),
    "up": (PROMETHEUS, set()),
}  # fmt: skip
# "owner/repo <tag>" opening a citation: the repository defining the metric, at a release tag (not a branch or a range)
TAGGED = re.compile(r"[\w.-]+/[\w.-]+ (v\d+\.\d+\.\d+|[a-z][\w-]*-\d+\.\d+\.\d+)\b")
# Entries whose defining repository was not read at a tag, and why; each must still fail TAGGED. None today: a
# new entry must name a tag, or be listed here with the reason it could not.
UNTAGGED: dict[str, str] = {}
TARGET_LABELS = {"job", "instance"}
FUNCTIONS = {"sum", "max", "min", "avg", "rate", "irate", "increase", "deriv", "histogram_quantile", "by", "on",
             "and", "or", "vector", "count", "without", "group_left", "topk", "changes", "max_over_time",
             "group", "last_over_time"}  # fmt: skip
DURATION = re.compile(r"^\d+[smhdwy]$")


def _queries() -> list[tuple[str, str]]:
    out = [(f"profile {m.name}", m.query) for m in profiles.load()]
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            out += [(f"{path.name} / {panel['title']}", t["expr"]) for t in panel.get("targets", [])]
        for var in (board.get("templating") or {}).get("list") or []:
            if var.get("type") == "query":
                query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
                out.append((f"{path.name} / variable {var['name']}", _variable_query(query)))
    return out + _doctor_queries()


def _variable_query(query: str) -> str:
    """Grafana's `label_values(selector, label)` as the PromQL it amounts to (`label` a grouping label, so it must
    be registered for the selector's metric); other variable queries (`query_result(...)`) are PromQL already."""
    match = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", query, flags=re.DOTALL)
    if match:
        return f"group by ({match.group(2)}) ({match.group(1)})"
    match = re.fullmatch(r"\s*(?:label_values|query_result)\((.*)\)\s*", query, flags=re.DOTALL)
    return match.group(1) if match and not re.fullmatch(r"\w+", match.group(1).strip()) else ""


def _doctor_queries() -> list[tuple[str, str]]:
    """Every upper-case constant of doctor_checks that is a string (a series name or a query) or a mapping of
    them, durations aside: the series the doctor asks Prometheus for."""
    out = []
    for name, value in vars(doctor_checks).items():
        if not name.isupper():
            continue
        texts = [value] if isinstance(value, str) else [*value, *value.values()] if isinstance(value, dict) else []
        out += [(f"doctor_checks.{name}", t) for t in texts if isinstance(t, str) and not DURATION.match(t)]
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


def _problems() -> list[str]:
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
    return problems


def test_every_queried_metric_and_label_is_registered_with_its_source() -> None:
    problems = _problems()
    assert not problems, "\n".join(problems)


def test_templating_and_doctor_queries_are_scanned() -> None:
    where = dict(_queries())
    variable = where["spark-operator-benchmark.json / variable controller"]
    assert [(n, lbls) for n, lbls in _uses(variable)] == [
        ("controller_runtime_max_concurrent_reconciles", {"controller"})
    ]
    assert _variable_query("label_values(job)") == ""  # no metric named
    assert _variable_query('query_result(max by (pod) (up{job="x"}))') == 'max by (pod) (up{job="x"})'
    assert [n for n, _ in _uses(where["doctor_checks.OPERATOR_UP"])] == ["up", "controller_runtime_active_workers"]
    assert {w for w in where if w.startswith("doctor_checks.")} == {
        "doctor_checks.OPERATOR_SERIES", "doctor_checks.OPERATOR_UP", "doctor_checks.RENAMED"}  # fmt: skip


def test_an_unregistered_name_in_the_doctor_or_a_variable_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor_checks, "OPERATOR_SERIES", "controller_runtime_idle_workers")
    monkeypatch.setattr(doctor_checks, "RENAMED", {**doctor_checks.RENAMED, "apiserver_object_count": "x_total"})
    problems = _problems()
    assert "doctor_checks.OPERATOR_SERIES: controller_runtime_idle_workers is not in the register" in problems
    assert "doctor_checks.RENAMED: apiserver_object_count is not in the register" in problems
    assert "doctor_checks.RENAMED: x_total is not in the register" in problems
    ((name, labels),) = _uses(_variable_query("label_values(workqueue_depth, pod)"))
    assert name == "workqueue_depth" and labels - REGISTER[name][1] == {"pod"}  # a variable over a label not there


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
    assert CADVISOR_PINS[default] in REGISTER["container_cpu_usage_seconds_total"][0]
    assert re.search(rf"kubernetes/kubernetes [v\d., and]*\bv{re.escape(default)}\.0\b", CADVISOR), CADVISOR
    assert all(pin in CADVISOR.split("(", maxsplit=1)[0] for pin in CADVISOR_PINS.values()), CADVISOR
    chart = settings.MonitoringSettings().chart_version
    for source in (KPS, KSM, NE, CADVISOR, REGISTER["apiserver_request_duration_seconds_bucket"][0]):
        assert f"kube-prometheus-stack-{chart}" in source, source
    values = yaml.safe_load((KPS_VALUES / f"kube-prometheus-stack-{chart}" / "values.yaml").read_text())
    prometheus_tag = values["prometheus"]["prometheusSpec"]["image"]["tag"]  # infra sets no image of its own
    assert f"prometheus/prometheus {prometheus_tag.split('-')[0]} " in PROMETHEUS, (prometheus_tag, PROMETHEUS)
