"""Node-group sizing against moto (EKS UpdateNodegroupConfig), and the DaemonSet placement rules."""

from __future__ import annotations

from typing import Any

import pytest

from benchkit.capacity import readiness
from benchkit.capacity.nodegroups import GroupSize, NodeGroupRef, NodeGroups, scaling_config
from benchkit.errors import ConfigError

from .conftest import FakeStack

REF = NodeGroupRef("c", "us-west-2", "bench-ng", "bench")


@pytest.mark.parametrize(
    ("current", "to", "pin", "expected"),
    [
        (GroupSize(0, 0, 200, "ACTIVE", ()), 200, True, {"minSize": 200, "desiredSize": 200}),
        (GroupSize(0, 0, 200, "ACTIVE", ()), 50, False, {"minSize": 0, "desiredSize": 50}),
        (GroupSize(200, 200, 200, "ACTIVE", ()), 0, True, {"minSize": 0, "desiredSize": 0}),
        (GroupSize(20, 20, 200, "ACTIVE", ()), 10, False, {"minSize": 10, "desiredSize": 10}),
    ],
)
def test_scaling_config(current: GroupSize, to: int, pin: bool, expected: dict[str, int]) -> None:
    assert scaling_config(REF, current, to, pin_min=pin) == expected


def test_scaling_config_respects_the_groups_max() -> None:
    with pytest.raises(ConfigError, match=r"node group bench \(c/bench-ng\): 201 nodes exceeds its maxSize 200"):
        scaling_config(REF, GroupSize(0, 0, 200, "ACTIVE", ()), 201)
    with pytest.raises(ConfigError, match="size must be >= 0"):
        scaling_config(REF, GroupSize(0, 0, 200, "ACTIVE", ()), -1)


def test_set_size_against_moto(stack: FakeStack) -> None:
    groups = NodeGroups(stack.region)
    ref = NodeGroupRef(stack.cluster, stack.region, stack.node_groups["bench"], "bench")
    before, after, changed = groups.set_size(ref, 150)
    assert (before.desired, after.desired, changed) == (0, 150, True)
    assert before.instance_types == ("m6a.4xlarge",)
    assert stack.scaling("bench") == {"minSize": 150, "desiredSize": 150, "maxSize": 200}
    assert groups.set_size(ref, 150)[2] is False  # already there: no update call
    with pytest.raises(ConfigError, match="exceeds its maxSize 200"):
        groups.set_size(ref, 500)
    assert stack.scaling("bench")["desiredSize"] == 150  # nothing half-done
    groups.set_size(ref, 0)
    assert stack.scaling("bench") == {"minSize": 0, "desiredSize": 0, "maxSize": 200}


def test_unknown_group_or_cluster_is_bad_input(stack: FakeStack) -> None:
    groups = NodeGroups(stack.region)
    with pytest.raises(ConfigError, match=r"describing node group .*nope.*No node group found for name: nope"):
        groups.describe(NodeGroupRef(stack.cluster, stack.region, "nope"))
    with pytest.raises(ConfigError, match="describing node group"):
        groups.describe(NodeGroupRef("no-cluster", stack.region, "bench"))


BENCH_NODE = {
    "metadata": {"name": "n1", "labels": {"eks.amazonaws.com/nodegroup": "bench", "kubernetes.io/os": "linux",
                                         "NodeGroupType": "spark-operator-benchmark-ng"}},
    "spec": {"taints": [{"key": "spark-operator-benchmark-ng", "effect": "NoSchedule"}]},
}  # fmt: skip
LINUX_NOT_FARGATE = [
    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    {"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate"]},
]
AWS_NODE_AFFINITY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [{"matchExpressions": LINUX_NOT_FARGATE}]}}}  # fmt: skip
WINDOWS = [{"key": "kubernetes.io/os", "operator": "In", "values": ["windows"]}]
WINDOWS_ONLY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [{"matchExpressions": WINDOWS}]}}}  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "lands"),
    [
        ({}, False),  # the bench taint keeps ordinary pods away
        ({"tolerations": [{"operator": "Exists"}]}, True),  # aws-node / kube-proxy tolerate everything
        ({"tolerations": [{"key": "spark-operator-benchmark-ng", "operator": "Exists"}]}, True),
        ({"tolerations": [{"key": "spark-operator-benchmark-ng", "operator": "Equal", "value": "x"}]}, False),
        ({"tolerations": [{"key": "spark-operator-benchmark-ng", "operator": "Exists", "effect": "NoExecute"}]}, False),
        ({"tolerations": [{"operator": "Exists"}], "nodeSelector": {"NodeGroupType": "monitoring"}}, False),
        ({"tolerations": [{"operator": "Exists"}], "affinity": AWS_NODE_AFFINITY}, True),
        ({"tolerations": [{"operator": "Exists"}], "affinity": WINDOWS_ONLY}, False),
    ],
)
def test_daemonset_placement(spec: dict[str, Any], lands: bool) -> None:
    assert readiness.targets(spec, BENCH_NODE) is lands


def test_label_selector_rendering_and_node_readiness() -> None:
    selector = {"matchLabels": {"k8s-app": "aws-node"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]},
                                     {"key": "canary", "operator": "DoesNotExist"}]}  # fmt: skip
    assert readiness.label_selector(selector) == "k8s-app=aws-node,tier in (a,b),!canary"
    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert readiness.is_ready(ready)
    assert not readiness.is_ready({"status": {"conditions": [{"type": "Ready", "status": "False"}]}})
    assert not readiness.is_ready({**ready, "spec": {"unschedulable": True}})  # cordoned for removal


def test_group_state_reached() -> None:
    state = readiness.GroupState(
        "bench", nodes=3, ready=3, complete=2, daemonsets=2, lagging=("kube-system/x missing on 1 node(s)",)
    )
    assert not state.reached(3)
    assert "2/3 with all 2 DaemonSet(s) (waiting on kube-system/x missing on 1 node(s))" in state.describe(3)
    assert readiness.GroupState("bench", 3, 3, 3, 2).reached(3)
    assert readiness.GroupState("bench", 0, 0, 0, 2).reached(0)
    assert not readiness.GroupState("bench", 1, 0, 0, 2).reached(0)


def test_progress_towards_zero_reads_as_a_drain() -> None:
    assert readiness.GroupState("bench", 5, 5, 5, 4).describe(0) == "bench: draining: 5 node(s) left"
    assert readiness.GroupState("bench", 0, 0, 0, 4).describe(0) == "bench: no nodes left"


def _fake_list_node(nodes: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    """A node lister (selector → nodes) that applies `key=value` selectors as the API server would."""

    def list_node(selector: str) -> list[dict[str, Any]]:
        key, _, value = selector.partition("=")
        return [n for n in nodes if n["metadata"]["labels"].get(key) == value]

    return list_node


def test_bench_nodes_are_found_by_either_label() -> None:
    """A bench node EKS did not label (custom bootstrap) is still found by infra's NodeGroupType label."""
    eks_only = {"metadata": {"name": "a", "labels": {"eks.amazonaws.com/nodegroup": "c-bench"}}}
    ours_only = {"metadata": {"name": "b", "labels": {"NodeGroupType": "spark-operator-benchmark-ng"}}}
    both = {"metadata": {"name": "c", "labels": {"eks.amazonaws.com/nodegroup": "c-bench",
                                                 "NodeGroupType": "spark-operator-benchmark-ng"}}}  # fmt: skip
    core = {"metadata": {"name": "d", "labels": {"eks.amazonaws.com/nodegroup": "c-core", "NodeGroupType": "core"}}}
    list_node = _fake_list_node([eks_only, ours_only, both, core])
    assert sorted(n["metadata"]["name"] for n in readiness.group_nodes(list_node, "c-bench")) == ["a", "b", "c"]
    assert sorted(n["metadata"]["name"] for n in readiness.group_nodes(list_node, "bench")) == ["b", "c"]
    # other groups keep the EKS label only: infra's label of the bench role says nothing about them
    assert [n["metadata"]["name"] for n in readiness.group_nodes(list_node, "c-core")] == ["d"]
    assert readiness.node_selectors("c-core") == ["eks.amazonaws.com/nodegroup=c-core"]
