"""`/metrics` (parsed with prometheus_client's own parser) and the /twin/v1 admin endpoints."""

from __future__ import annotations

import time
import uuid

from prometheus_client.parser import text_string_to_metric_families

from benchkit.twin.process import TwinProcess

from .helpers import Clients, app, state, wait_until


def _samples(twin: TwinProcess) -> dict[str, list[tuple[dict[str, str], float]]]:
    status, text = twin.request("GET", "/metrics")
    assert status == 200
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def _types(twin: TwinProcess) -> dict[str, str]:
    """Metric family name -> its TYPE, as the exposition declares it."""
    status, text = twin.request("GET", "/metrics")
    assert status == 200
    return {line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE ")}


def test_apiserver_metrics_count_requests_by_verb_resource_and_code(twin: TwinProcess, k8s: Clients) -> None:
    before = _samples(twin)

    def creates(samples: dict[str, list[tuple[dict[str, str], float]]]) -> float:
        wanted = {"verb": "POST", "resource": "sparkapplications", "code": "201"}
        samples_ = samples.get("apiserver_request_total", [])
        return sum(v for labels, v in samples_ if all(labels[k] == w for k, w in wanted.items()))

    run = uuid.uuid4().hex[:10]
    for i in range(3):
        k8s.create_app("default", app(f"m-{i}", run))
    after = _samples(twin)
    assert creates(after) - creates(before) == 3
    durations = [labels for labels, _ in after["apiserver_request_duration_seconds_bucket"]
                 if labels["verb"] == "POST" and labels["resource"] == "sparkapplications"]  # fmt: skip
    assert {"le", "group", "version", "scope"} <= set(durations[0])
    storage = {labels["resource"]: v for labels, v in after["apiserver_storage_objects"]}
    assert storage["sparkapplications.sparkoperator.k8s.io"] == len(k8s.list_apps(None)["items"])
    assert storage["nodes"] == len(k8s.core.list_node().items)
    resp = k8s.core.list_pod_for_all_namespaces(watch=True, timeout_seconds=30, _preload_content=False)
    try:
        # apiserver_registered_watchers is gone upstream (deprecated 1.23.0, absent from kubernetes/apiserver
        # v0.25.0 on): an open watch shows in longrunning_requests, as on kube-apiserver 1.31 to 1.33. Wait for the
        # pods watch itself: other tests on this shared twin may hold watches of their own open meanwhile.
        def pod_watches() -> float:
            return sum(v for labels, v in _samples(twin).get("apiserver_longrunning_requests", [])
                       if labels["verb"] == "WATCH" and labels["resource"] == "pods")  # fmt: skip

        assert wait_until(pod_watches, what="the pods watch in apiserver_longrunning_requests") >= 1
    finally:
        resp.release_conn()
    # the twin's own process, under its prefix
    assert after["benchkit_twin_process_resident_memory_bytes"][0][1] > 10e6
    assert after["benchkit_twin_process_cpu_seconds_total"][0][1] > 0
    # the model's operator metrics, under the operator's names
    wait_until(lambda: "spark_application_submit_count" in _types(twin), what="the model's metrics")


def test_process_metrics_are_the_modelled_operators(twin: TwinProcess, k8s: Clients) -> None:
    """Dashboards read the operator's CPU and memory from process_* on the operator's target: on the twin,
    those are the model's (its CPU account, and memory growing with the objects its informers cache)."""
    before = _samples(twin)
    run = uuid.uuid4().hex[:10]
    for i in range(5):
        k8s.create_app("spark-team-b", app(f"pm-{i}", run, seconds=30, executors=2))
    wait_until(lambda: len(k8s.core.list_namespaced_pod("spark-team-b", label_selector=f"benchkit.io/run-id={run}")
                           .items) == 15, what="the apps' pods")  # fmt: skip
    after = _samples(twin)
    cpu = after["process_cpu_seconds_total"][0][1]
    container = [v for labels, v in after["container_cpu_usage_seconds_total"]
                 if labels["container"] == "spark-operator-controller"]  # fmt: skip
    assert cpu == container[0] and cpu > before["process_cpu_seconds_total"][0][1]  # one account, it grew
    assert cpu != after["benchkit_twin_process_cpu_seconds_total"][0][1]
    rss = after["process_resident_memory_bytes"][0][1]
    assert rss > before["process_resident_memory_bytes"][0][1] >= 40 * 1024 * 1024  # base + caches that grew


def test_operator_metric_types_are_the_operators(twin: TwinProcess, k8s: Clients) -> None:
    """client_golang exports the operator's counts as counters named without `_total`, and its latencies as
    Summaries (only `_sum` and `_count`)."""
    run = uuid.uuid4().hex[:10]
    k8s.create_app("spark-team-a", app("types-1", run, seconds=0.2))
    wait_until(lambda: state(k8s.get_app("spark-team-a", "types-1")) == "COMPLETED", what="COMPLETED")
    types = _types(twin)
    for name in ("spark_application_count", "spark_application_submit_count", "spark_application_success_count",
                 "spark_application_failure_count", "spark_application_failed_submission_count",
                 "spark_executor_success_count", "spark_executor_failure_count"):  # fmt: skip
        assert types[name] == "counter", name
    assert types["spark_application_running_count"] == "gauge"
    assert types["spark_application_start_latency_seconds"] == "summary"
    assert types["spark_application_success_execution_time_seconds"] == "summary"
    assert types["spark_application_start_latency_seconds_histogram"] == "histogram"
    assert "untyped" not in types.values()
    samples = _samples(twin)
    assert "spark_application_start_latency_seconds_bucket" not in samples
    assert (
        samples["spark_application_start_latency_seconds_count"]
        and samples["spark_application_start_latency_seconds_sum"]
    )


def test_history_lists_server_side_transitions(twin: TwinProcess, k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    k8s.create_app("spark-team-a", app("h-1", run, seconds=0.2))
    wait_until(lambda: state(k8s.get_app("spark-team-a", "h-1")) == "COMPLETED", what="COMPLETED")
    items = twin.admin("GET", f"history?labelSelector=benchkit.io/run-id%3D{run}")["items"]
    assert items[0]["state"] == "NEW" and items[-1]["state"] == "COMPLETED"
    assert "RUNNING" in [i["state"] for i in items]
    assert {i["name"] for i in items} == {"h-1"} and {i["namespace"] for i in items} == {"spark-team-a"}
    rvs = [int(i["resourceVersion"]) for i in items]
    assert rvs == sorted(rvs)
    assert all(i["time"] > 1.7e9 for i in items)


def test_stats_and_node_group_scaling(twin: TwinProcess, k8s: Clients) -> None:
    stats = twin.admin("GET", "stats")
    assert stats["objects"]["nodes"] == len(k8s.core.list_node().items)
    assert any(key.startswith("POST sparkapplications") for key in stats["requests"])
    before = len(k8s.core.list_node().items)
    twin.admin("POST", "nodegroups/bench/scale", {"count": 25})
    wait_until(lambda: len(k8s.core.list_node().items) != before, what="nodes to change")
    status, body = twin.request("POST", "/twin/v1/nodegroups/bench/scale", {"count": -1})
    assert status == 400
    status, body = twin.request("POST", "/twin/v1/nodegroups/no-such-group/scale", {"count": 1})
    assert status == 404
    status, body = twin.request("POST", "/twin/v1/faults", {"fault_rat": 1})
    assert status == 400 and "fault_rat" in body["message"]


def test_label_values_are_chart_2_1_0s_by_default(twin: TwinProcess, k8s: Clients) -> None:
    """The default twin stands in for chart 2.1.0: the controller is `spark-application-controller`
    (kubeflow/spark-operator v2.1.0 internal/controller/sparkapplication/controller.go, Named(...)), and the
    spark_application_* series carry `app_type` only (v2.1.0 charts/spark-operator-chart/templates/controller/
    deployment.yaml hard-codes --metrics-labels=app_type)."""
    run = uuid.uuid4().hex[:10]
    k8s.create_app("spark-team-a", app("labels-1", run, seconds=0.2))
    wait_until(lambda: state(k8s.get_app("spark-team-a", "labels-1")) == "COMPLETED", what="COMPLETED")
    samples = _samples(twin)
    for name in ("workqueue_depth", "workqueue_adds_total", "workqueue_retries_total"):
        assert {labels["name"] for labels, _ in samples[name]} == {"spark-application-controller"}, name
    assert {labels["controller"] for labels, _ in samples["controller_runtime_max_concurrent_reconciles"]} == {
        "spark-application-controller"
    }
    # (the parser names a counter sample `<family>_total` even when the exposition has no `_total`)
    for name in ("spark_application_count_total", "spark_application_success_count_total",
                 "spark_application_running_count"):  # fmt: skip
        assert all(set(labels) == {"app_type"} for labels, _ in samples[name]), samples[name]


def test_retries_count_every_rate_limited_enqueue(twin: TwinProcess, k8s: Clients) -> None:
    """client-go counts a retry on every AddAfter (kubernetes/client-go v0.29.3 util/workqueue/delaying_queue.go,
    the client-go spark-operator v2.1.0's go.mod replaces; the same at v0.32.5 for v2.5.2) and the operator's handlers
    enqueue every app and pod event with AddRateLimited: retries follow events, at least one per add."""
    before = _samples(twin)
    run = uuid.uuid4().hex[:10]
    k8s.create_app("spark-team-c", app("retries-1", run, seconds=0.2))
    wait_until(lambda: state(k8s.get_app("spark-team-c", "retries-1")) == "COMPLETED", what="COMPLETED")
    after = _samples(twin)

    def grown(name: str) -> float:
        return after[name][0][1] - (before[name][0][1] if name in before else 0.0)

    assert grown("workqueue_retries_total") >= grown("workqueue_adds_total") > 0


def test_apiserver_buckets_are_the_ones_the_stack_keeps(twin: TwinProcess, k8s: Clients) -> None:
    """kube-prometheus-stack 88.5.3 values.yaml (kubeApiServer.serviceMonitor.metricRelabelings) drops most `le`
    values of apiserver_request_duration_seconds_bucket; the twin exports the set the stack stores."""
    k8s.core.list_namespaced_pod("default")
    les = {labels["le"] for labels, _ in _samples(twin)["apiserver_request_duration_seconds_bucket"]}
    assert les == {"0.005", "0.025", "0.05", "0.1", "1.0", "5.0", "10.0", "30.0", "60.0", "+Inf"}


def test_operator_start_time_is_exported(twin: TwinProcess) -> None:
    """process_start_time_seconds of the modelled operator (benchkit detects restarts from it)."""
    samples = _samples(twin)
    (start,) = samples["process_start_time_seconds"]
    assert 0 < start[1] <= time.time()
    assert start[1] >= samples["benchkit_twin_process_start_time_seconds"][0][1] - 5


def _all_ready(k8s: Clients) -> list[str] | None:
    """The node names, sorted, once every node's Ready condition is True (else None)."""
    items = k8s.core.list_node().items
    ready = [n.metadata.name for n in items
             if any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))]  # fmt: skip
    return sorted(ready) if len(ready) == len(items) else None


def test_exporter_series_have_the_real_names_labels_and_types(twin: TwinProcess, k8s: Clients) -> None:
    """kube-state-metrics v2 (docs/metrics/workload/pod-metrics.md, cluster/node-metrics.md) and the kubelet's
    cAdvisor working set, derived from the twin's store and model."""
    run = uuid.uuid4().hex[:10]
    k8s.create_app("spark-team-a", app("exp-1", run, seconds=30))
    wait_until(lambda: state(k8s.get_app("spark-team-a", "exp-1")) == "RUNNING", what="RUNNING")
    # nodes added by an earlier scale-up join NotReady and turn Ready within a second: compare once all are Ready
    nodes = wait_until(lambda: _all_ready(k8s), what="every node Ready")
    types = _types(twin)
    assert types["kube_pod_status_phase"] == types["kube_node_status_condition"] == "gauge"
    assert types["container_memory_working_set_bytes"] == "gauge"
    samples = _samples(twin)
    driver = {labels["phase"]: v for labels, v in samples["kube_pod_status_phase"]
              if labels["pod"] == "exp-1-driver" and labels["namespace"] == "spark-team-a"}  # fmt: skip
    assert driver == {"Pending": 0, "Succeeded": 0, "Failed": 0, "Unknown": 0, "Running": 1}
    ready = [labels["node"] for labels, v in samples["kube_node_status_condition"]
             if labels["condition"] == "Ready" and labels["status"] == "true" and v == 1]  # fmt: skip
    assert sorted(ready) == nodes and nodes
    (memory,) = [v for labels, v in samples["container_memory_working_set_bytes"]
                 if labels["container"] == "spark-operator-controller"]  # fmt: skip
    assert memory == samples["process_resident_memory_bytes"][0][1]
