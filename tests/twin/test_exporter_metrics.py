"""kube-apiserver, API Priority and Fairness and node-exporter CPU series on `/metrics`: real names, types and
labels, and values that move under load. Read at tags: kubernetes/apiserver v0.31.0, v0.32.0 and v0.33.0 (the
staging mirror of kubernetes/kubernetes 1.31 to 1.33) pkg/endpoints/metrics/metrics.go,
pkg/storage/etcd3/metrics/metrics.go and pkg/util/flowcontrol/metrics/metrics.go; prometheus/node_exporter v1.12.1
(the appVersion of chart prometheus-node-exporter-4.56.1, which kube-prometheus-stack-88.5.3 pins)
collector/cpu_common.go and collector/cpu_linux.go; the webhook admission series: kubernetes/apiserver
pkg/admission/metrics/metrics.go at the same three tags."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchkit.twin.process import TwinProcess

from .conftest import make_twin
from .helpers import Clients, app, state, wait_until
from .test_faults import _post

Samples = list[tuple[dict[str, str], float]]
SEATS = "apiserver_flowcontrol_current_executing_seats"
REJECTED = "apiserver_flowcontrol_rejected_requests_total"
NODE_CPU = "node_cpu_seconds_total"
# kubernetes/apiserver v0.31.0, v0.32.0 and v0.33.0 pkg/admission/metrics/metrics.go: namespace apiserver, subsystem
# admission, webhook_admission_duration_seconds, a histogram labelled name, type, operation, rejected
ADMISSION = "apiserver_admission_webhook_admission_duration_seconds"
USER = ("global-default", "global-default")
# kube-apiserver's families, types and label names, the same at kubernetes/apiserver v0.31.0, v0.32.0 and v0.33.0:
# pkg/endpoints/metrics/metrics.go requestCounter, requestLatencies, longRunningRequestsGauge, WatchEvents;
# pkg/storage/etcd3/metrics/metrics.go objectCounts, storageSizeDescription.
REQUEST = {"verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"}
APISERVER = {
    "apiserver_request_total": ("counter", REQUEST | {"code"}),
    "apiserver_request_duration_seconds": ("histogram", REQUEST),
    "apiserver_longrunning_requests": ("gauge", REQUEST - {"dry_run"}),
    "apiserver_watch_events_total": ("counter", {"group", "version", "kind"}),
    "apiserver_storage_objects": ("gauge", {"resource"}),
    "apiserver_storage_size_bytes": ("gauge", {"storage_cluster_id"}),
}


def _scrape(twin: TwinProcess) -> tuple[dict[str, str], dict[str, Samples]]:
    """(family -> TYPE, sample name -> samples) of one scrape."""
    status, text = twin.request("GET", "/metrics")
    assert status == 200
    types = {line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE ")}
    samples: dict[str, Samples] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
    return types, samples


def _seats(samples: dict[str, Samples], level: str, schema: str) -> float:
    return sum(v for labels, v in samples.get(SEATS, []) if labels == {"priority_level": level, "flow_schema": schema})


@pytest.fixture(scope="module")
def slow_faulty() -> Iterator[TwinProcess]:
    """Every write faulted, every API request delayed 1.5 s: requests stay in flight long enough to be seen."""
    with make_twin(nodes=2, fault_rate=1.0, api_latency_ms=1500, seed=11) as proc:
        yield proc


def test_seats_count_requests_in_flight_by_priority_level(slow_faulty: TwinProcess) -> None:
    types, idle = _scrape(slow_faulty)
    assert types[SEATS] == "gauge"
    # the scrape holds a seat of Prometheus's level while it is served (bootstrap default.go: service-accounts)
    assert _seats(idle, "workload-low", "service-accounts") == 1
    assert _seats(idle, "global-default", "global-default") == 0
    assert {tuple(sorted(labels)) for labels, _ in idle[SEATS]} == {("flow_schema", "priority_level")}
    done = threading.Event()

    def list_slowly() -> None:
        slow_faulty.request("GET", "/api/v1/nodes")
        done.set()

    workers = [threading.Thread(target=list_slowly) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        busy = wait_until(lambda: (s := _scrape(slow_faulty)[1]) and _seats(s, *USER) and s,
                          timeout=10, interval=0.1, what="seats in use")  # fmt: skip
        assert 1 <= _seats(busy, "global-default", "global-default") <= 3
    finally:
        for w in workers:
            w.join(timeout=20)
    assert done.is_set()
    assert _seats(_scrape(slow_faulty)[1], "global-default", "global-default") == 0


def test_fault_429s_are_counted_as_queue_full_rejections(slow_faulty: TwinProcess) -> None:
    types, before = _scrape(slow_faulty)
    assert types[REJECTED] == "counter"
    run = uuid.uuid4().hex[:8]
    outcomes = [_post(slow_faulty, f"apf-{run}-{i}") for i in range(8)]
    assert "429" in outcomes, outcomes  # seed 11 rotates kinds: some of 8 faulted writes are 429s
    after = _scrape(slow_faulty)[1]

    def rejected(samples: dict[str, Samples]) -> float:
        want = {"priority_level": "global-default", "flow_schema": "global-default", "reason": "queue-full"}
        return sum(v for labels, v in samples.get(REJECTED, []) if labels == want)

    assert rejected(after) - rejected(before) == outcomes.count("429")
    assert {labels["reason"] for labels, _ in after[REJECTED]} == {"queue-full"}


def test_apiserver_families_have_kube_apiservers_types_and_label_names(twin: TwinProcess, k8s: Clients) -> None:
    k8s.core.list_node()
    resp = k8s.core.list_pod_for_all_namespaces(watch=True, timeout_seconds=30, _preload_content=False)
    try:
        types, samples = wait_until(
            lambda: (s := _scrape(twin)) and any(v for _, v in s[1].get("apiserver_longrunning_requests", [])) and s,
            timeout=10, interval=0.1, what="an open watch counted")  # fmt: skip
    finally:
        resp.release_conn()
    for family, (kind, labels) in APISERVER.items():
        assert types[family] == kind, family
        sample = f"{family}_count" if kind == "histogram" else family
        assert {frozenset(lbl) for lbl, _ in samples[sample]} == {frozenset(labels)}, family
    buckets = {frozenset(lbl) for lbl, _ in samples["apiserver_request_duration_seconds_bucket"]}
    assert buckets == {frozenset(REQUEST | {"le"})}
    assert {lbl["dry_run"] for lbl, _ in samples["apiserver_request_total"]} == {""}  # no dry-run request sent
    # deprecated in 1.23.0 and absent from kubernetes/apiserver v0.25.0 on: a 1.31 to 1.33 API server has none
    assert "apiserver_registered_watchers" not in types


def _by_node(samples: dict[str, Samples]) -> dict[str, dict[tuple[str, str], float]]:
    out: dict[str, dict[tuple[str, str], float]] = {}
    for labels, v in samples[NODE_CPU]:
        out.setdefault(labels["instance"], {})[labels["cpu"], labels["mode"]] = v
    return out


def _busy(cpus: dict[tuple[str, str], float]) -> float:
    return sum(v for (_, mode), v in cpus.items() if mode != "idle")


def test_node_cpu_seconds_per_node_cpu_and_mode(twin: TwinProcess, k8s: Clients) -> None:
    t0 = time.monotonic()
    types, first = _scrape(twin)
    t1 = time.monotonic()
    assert types[NODE_CPU] == "counter"
    nodes = {n.metadata.name: n for n in k8s.core.list_node().items}
    per_node = _by_node(first)
    assert set(per_node) == {f"{name}:9100" for name in nodes}
    for name, node in nodes.items():
        vcpus = int(node.status.capacity["cpu"])
        assert set(per_node[f"{name}:9100"]) == {(str(i), m) for i in range(vcpus) for m in ("idle", "user", "system")}
    assert {tuple(sorted(labels)) for labels, _ in first[NODE_CPU]} == {("cpu", "instance", "mode")}
    time.sleep(1.0)
    t2 = time.monotonic()
    second = _by_node(_scrape(twin)[1])
    t3 = time.monotonic()
    for instance, cpus in per_node.items():
        accounted = sum(second[instance].values()) - sum(cpus.values())
        vcpus = len(cpus) / 3
        # every cpu accounts each second to exactly one mode, between the two scrapes' evaluations
        assert vcpus * (t2 - t1) - 1e-6 <= accounted <= vcpus * (t3 - t0) + 1e-6, instance
        assert all(second[instance][k] >= v for k, v in cpus.items()), instance  # counters never go back


def test_node_busy_seconds_follow_running_pods_cpu_requests(twin: TwinProcess, k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    name = f"cpu-{run}"
    k8s.create_app("default", app(name, run, seconds=30))
    wait_until(lambda: state(k8s.get_app("default", name)) == "RUNNING", timeout=30, what="app running")
    driver = wait_until(lambda: next((p for p in k8s.core.list_namespaced_pod("default").items
                                      if p.metadata.name == f"{name}-driver" and p.status.phase == "Running"), None),
                        timeout=30, what="driver running")  # fmt: skip
    node = driver.spec.node_name

    def requested_cores() -> float:
        total = 0.0
        for pod in k8s.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items:
            if pod.status.phase == "Running":
                for c in pod.spec.containers:
                    cpu = ((c.resources and c.resources.requests) or {}).get("cpu", "0")
                    total += float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
        return total

    cores = requested_cores()
    assert cores > 0
    t0 = time.monotonic()
    before = _by_node(_scrape(twin)[1])[f"{node}:9100"]
    t1 = time.monotonic()
    time.sleep(2.0)
    t2 = time.monotonic()
    after = _by_node(_scrape(twin)[1])[f"{node}:9100"]
    t3 = time.monotonic()
    if requested_cores() == cores:  # the pods on the node did not change while measured
        busy = min(cores, len(before) / 3)
        assert busy * (t2 - t1) - 1e-6 <= _busy(after) - _busy(before) <= busy * (t3 - t0) + 1e-6
    assert _busy(after) > _busy(before)
    assert after[("0", "user")] - before[("0", "user")] > 0


def _admissions_after_an_app(twin: TwinProcess, k8s: Clients) -> tuple[float, dict[str, str], dict[str, Samples]]:
    """(admission count before, TYPEs, samples) around one app whose driver and executor pods were created."""
    before = sum(v for _, v in _scrape(twin)[1].get(f"{ADMISSION}_count", []))
    name = f"adm-{uuid.uuid4().hex[:8]}"
    k8s.create_app("spark-team-a", app(name, name, seconds=0.2))
    wait_until(lambda: state(k8s.get_app("spark-team-a", name)) == "COMPLETED", what="app completed")
    return (before, *_scrape(twin))


def test_each_pod_create_is_a_webhook_admission_sample_while_the_webhook_is_on(twin: TwinProcess, k8s: Clients) -> None:
    assert twin.options.webhook == "on"
    before, types, samples = _admissions_after_an_app(twin, k8s)
    assert types[ADMISSION] == "histogram"
    assert {frozenset(lbl) for lbl, _ in samples[f"{ADMISSION}_count"]} == {
        frozenset({"name", "type", "operation", "rejected"})}  # fmt: skip
    assert sum(v for _, v in samples[f"{ADMISSION}_count"]) >= before + 2  # its driver and its executor


def test_no_webhook_admission_samples_with_the_webhook_off() -> None:
    with make_twin(nodes=2, profile="fast", webhook="off") as off:
        before, types, samples = _admissions_after_an_app(off, Clients(off))
    assert "apiserver_request_total" in types  # the same scrape has the API server's own series
    assert before == 0 and ADMISSION not in types and not any(name.startswith(ADMISSION) for name in samples)
