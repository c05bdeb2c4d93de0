"""The twin's DaemonSets (apps/v1, read-only): one Running pod per Ready node, following node-group scaling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from benchkit.kube.connect import connect
from benchkit.twin.process import TwinProcess

SETS = {"aws-node", "kube-proxy", "ebs-csi-node", "eks-pod-identity-agent", "node-exporter"}


@pytest.fixture(scope="module")
def small() -> Iterator[TwinProcess]:
    with TwinProcess(nodes=2) as proc:  # core 2 + operator 1 + monitoring 1 + bench 2
        yield proc


def _daemonsets(api: client.ApiClient) -> dict[str, dict[str, Any]]:
    items = client.AppsV1Api(api).list_daemon_set_for_all_namespaces().items
    return {d.metadata.name: d.status.to_dict() for d in items}


def _pods_by_set(api: client.ApiClient) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for pod in client.CoreV1Api(api).list_namespaced_pod("kube-system").items:
        assert pod.status.phase == "Running"
        out.setdefault(pod.metadata.labels["app.kubernetes.io/name"], set()).add(pod.spec.node_name)
    return out


def _wait(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_every_node_runs_every_daemonset_and_follows_scaling(small: TwinProcess) -> None:
    api = connect(small.kubeconfig).api
    nodes = {n.metadata.name for n in client.CoreV1Api(api).list_node().items}
    assert len(nodes) == 6
    status = _daemonsets(api)
    assert set(status) == SETS
    for s in status.values():
        assert (s["desired_number_scheduled"], s["number_ready"], s["current_number_scheduled"]) == (6, 6, 6)
    assert _pods_by_set(api) == dict.fromkeys(SETS, nodes)

    small.admin("POST", "nodegroups/bench/scale", {"count": 5})
    _wait(lambda: all(s["number_ready"] == 9 for s in _daemonsets(api).values()))
    assert all(len(on) == 9 for on in _pods_by_set(api).values())
    small.admin("POST", "nodegroups/bench/scale", {"count": 1})
    _wait(lambda: all(s["desired_number_scheduled"] == 5 for s in _daemonsets(api).values()))
    assert all(len(on) == 5 for on in _pods_by_set(api).values())


def test_a_deleted_daemon_pod_comes_back_and_daemonsets_are_read_only(small: TwinProcess) -> None:
    api = connect(small.kubeconfig).api
    core = client.CoreV1Api(api)
    victim = core.list_namespaced_pod("kube-system", label_selector="app.kubernetes.io/name=aws-node").items[0]
    core.delete_namespaced_pod(victim.metadata.name, "kube-system")
    again = core.read_namespaced_pod(victim.metadata.name, "kube-system")  # recreated at once, same name
    assert again.metadata.uid != victim.metadata.uid and again.spec.node_name == victim.spec.node_name
    apps = client.AppsV1Api(api)
    with pytest.raises(client.ApiException) as refused:
        apps.delete_namespaced_daemon_set("aws-node", "kube-system")
    assert refused.value.status == 405
    ds = apps.read_namespaced_daemon_set("kube-proxy", "kube-system")
    assert ds.spec.template.spec.tolerations[0].operator == "Exists"
    assert ds.metadata.uid in {o.uid for p in core.list_namespaced_pod("kube-system").items
                               for o in p.metadata.owner_references}  # fmt: skip
