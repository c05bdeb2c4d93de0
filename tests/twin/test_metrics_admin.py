"""`/metrics` (parsed with prometheus_client's own parser) and the /twin/v1 admin endpoints."""

from __future__ import annotations

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
        during = wait_until(
            lambda: (m := _samples(twin)) and sum(v for _, v in m.get("apiserver_longrunning_requests", [])) and m
        )
        watchers = {labels["kind"]: v for labels, v in during["apiserver_registered_watchers"]}
        assert watchers["Pod"] >= 1
    finally:
        resp.release_conn()
    assert after["process_resident_memory_bytes"][0][1] > 10e6
    assert after["process_cpu_seconds_total"][0][1] > 0
    # the model's operator metrics, under the operator's names
    wait_until(lambda: "spark_application_submit_count" in _samples(twin), what="the model's metrics")


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
