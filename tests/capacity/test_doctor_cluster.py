"""`benchkit doctor`'s cluster rows against the twin (real HTTPS API), and the operator row on Deployments
shaped like the Spark Operator chart's (the twin serves no Deployments). Each fail path breaks one thing."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from benchkit.capacity import doctor_cluster
from benchkit.capacity.doctor_cluster import ClusterExpect
from benchkit.kube import connect, inspect
from benchkit.orchestrate import doctor
from benchkit.twin.process import TwinProcess

NAMESPACES = ("default", "spark-team-a")


@pytest.fixture(scope="module")
def twin() -> Iterator[TwinProcess]:
    with TwinProcess(nodes=3, max_pods=220, profile="fast", namespaces=NAMESPACES) as proc:  # type: ignore[arg-type]
        yield proc


@pytest.fixture(scope="module")
def api(twin: TwinProcess) -> Any:
    return connect.connect(twin.kubeconfig).api


def expect(**changes: Any) -> ClusterExpect:
    base = {"bench_group": "bench", "max_pods": 220, "namespaces": NAMESPACES, "service_account": None}
    return ClusterExpect(**{**base, **changes})


def test_the_twin_as_started_has_no_failing_row(api: Any) -> None:
    rows = doctor.kube_rows(api, expect())
    statuses = {r.check: r.status for r in rows}
    assert statuses == {"bench nodes": "ok", "SparkApplication API": "ok", "spark operator": "warn",
                        "namespace default": "ok", "namespace spark-team-a": "ok"}  # fmt: skip
    bench = next(r for r in rows if r.check == "bench nodes")
    assert bench.detail == "3 node(s): both labels, allocatable pods 220"
    operator = next(r for r in rows if r.check == "spark operator")
    assert operator.detail.startswith("not checked: Deployments: HTTP 404")  # a warn saying so, no traceback


def test_fast_subset_skips_the_operator_and_namespaces(api: Any) -> None:
    assert [r.check for r in doctor.kube_rows(api, expect(), fast=True)] == ["bench nodes", "SparkApplication API"]


def test_bench_nodes_with_another_max_pods_fail(api: Any) -> None:
    (row,) = doctor_cluster.bench_nodes(api, expect(max_pods=110))
    assert row.status == "fail" and "allocatable pods 220, want maxPods 110" in row.detail


@pytest.mark.parametrize("label", ["eks.amazonaws.com/nodegroup", "NodeGroupType"])
def test_a_bench_node_missing_either_label_fails(api: Any, label: str) -> None:
    nodes = inspect.items(api, "/api/v1/nodes").body
    broken = copy.deepcopy(nodes)
    bench = next(n for n in broken if n["metadata"]["labels"].get("NodeGroupType") == "spark-operator-benchmark-ng")
    del bench["metadata"]["labels"][label]
    assert doctor_cluster.bench_nodes_row(nodes, expect())[0].status == "ok"
    (row,) = doctor_cluster.bench_nodes_row(broken, expect())
    assert row.status == "fail" and f"lacks label {label}" in row.detail and row.fix


def test_a_missing_spark_namespace_fails_only_its_row(api: Any) -> None:
    rows = doctor_cluster.namespaces(api, expect(namespaces=(*NAMESPACES, "spark-team-z")))
    assert [(r.check, r.status) for r in rows] == [("namespace default", "ok"), ("namespace spark-team-a", "ok"),
                                                   ("namespace spark-team-z", "fail")]  # fmt: skip


def test_crd_served(api: Any) -> None:
    (row,) = doctor_cluster.crd(api)
    assert row.status == "ok" and row.detail == "sparkoperator.k8s.io/v1beta2 served"


def _deployment(name: str, component: str, *, replicas: int = 1, ready: int = 1, workers: int = 20,
                cpu: str = "33") -> dict[str, Any]:  # fmt: skip
    """Shaped as kubeflow/spark-operator renders it (charts/spark-operator-chart/templates/controller/
    deployment.yaml: container spark-operator-controller, args `controller start ... --controller-threads=N`)."""
    return {
        "metadata": {"name": name, "namespace": "spark-operator",
                     "labels": {"app.kubernetes.io/name": "spark-operator", "app.kubernetes.io/component": component}},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{
            "name": f"spark-operator-{component}", "image": "docker.io/kubeflow/spark-operator:2.1.0",
            "args": ["controller", "start", f"--controller-threads={workers}"],
            "resources": {"requests": {"cpu": cpu, "memory": "50Gi"}}}]}}},
        "status": {"readyReplicas": ready},
    }  # fmt: skip


OPERATOR = {"workers": 20, "controller_cpu": "33", "webhook": True}


def test_operator_as_configured() -> None:
    deps = [_deployment("spark-operator-controller", "controller"), _deployment("spark-operator-webhook", "webhook")]
    (row,) = doctor_cluster.operator_row(deps, expect(**OPERATOR))
    assert row.status == "ok", row
    assert row.detail == "spark-operator-controller: 1/1 ready, workers 20, CPU request 33, webhook on"


@pytest.mark.parametrize(
    ("controller", "webhook", "message"),
    [
        ({"ready": 0}, True, "0/1 replicas ready"),
        ({"workers": 10}, True, "workers 10 (stack says 20)"),
        ({"cpu": "30000m"}, True, "CPU request 30000m (stack says 33)"),
        ({}, False, "webhook off (stack says on)"),
    ],
)
def test_operator_each_mismatch_fails(controller: dict[str, Any], webhook: bool, message: str) -> None:
    deps = [_deployment("spark-operator-controller", "controller", **controller)]
    if webhook:
        deps.append(_deployment("spark-operator-webhook", "webhook"))
    (row,) = doctor_cluster.operator_row(deps, expect(**OPERATOR))
    assert row.status == "fail" and message in row.detail and row.fix


def test_no_operator_deployment_fails() -> None:
    (row,) = doctor_cluster.operator_row([], expect(**OPERATOR))
    assert row.status == "fail" and "no Deployment labelled app.kubernetes.io/name=spark-operator" in row.detail
