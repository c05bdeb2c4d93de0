"""The cluster-shape data file is the one place for node facts: infra and every benchkit reader agree on it."""

from __future__ import annotations

import dataclasses

import pytest

from benchkit.capacity import pricing
from benchkit.plan import cost
from benchkit.settings import cluster_shape
from benchkit.twin import daemonsets
from benchkit.twin.model.nodes import MIB, DaemonSetLoad, Node, default_groups, node_object
from benchkit.twin.model.quantity import cpu_millis, k8s_bytes
from infra import instances, roles, settings, sizing


def test_infra_reads_the_same_file() -> None:
    assert instances.SHAPE_FILE.samefile(str(cluster_shape.resources.files("benchkit.data") / "cluster_shape.yaml"))
    assert sorted(instances.INSTANCE_TYPES) == sorted(cluster_shape.instance_types())


def test_infra_and_benchkit_read_the_same_instance_facts() -> None:
    """infra's InstanceType and benchkit's InstanceShape stay two classes (infra never imports benchkit):
    same fields, same values for every type."""
    names = [f.name for f in dataclasses.fields(instances.InstanceType)]
    assert names == [f.name for f in dataclasses.fields(cluster_shape.InstanceShape)]
    for name, shape in cluster_shape.instance_types().items():
        assert dataclasses.astuple(instances.lookup(name)) == dataclasses.astuple(shape)


@pytest.mark.parametrize("name", sorted(cluster_shape.instance_types()))
def test_infra_and_benchkit_compute_the_same_allocatable(name: str) -> None:
    infra_alloc = sizing.allocatable(instances.lookup(name))
    assert cluster_shape.allocatable(cluster_shape.instance(name)) == (infra_alloc.cpu_m, infra_alloc.memory_mib)
    assert cluster_shape.instance(name).standard_max_pods == sizing.standard_max_pods(instances.lookup(name))


def test_the_twins_bench_node_reports_nodeadms_allocatable_with_max_pods_220() -> None:
    """m6a.4xlarge: 16000m - 110m kube-reserved CPU; 63380 MiB - (255 + 11 x 234) - 100 eviction; pods 220."""
    spec = default_groups(cluster_shape.bench_max_pods())["bench"]
    status = node_object(Node("n", spec, 1, "us-west-2a", 0.0), spec, "2026-01-01T00:00:00Z")["status"]
    assert status["allocatable"]["cpu"] == "15890m"
    assert k8s_bytes(status["allocatable"]["memory"]) == (63_380 - 2_829 - 100) * MIB
    assert status["allocatable"]["pods"] == "220"
    assert spec.instance.name == cluster_shape.default_instance_types()["bench"] == "m6a.4xlarge"


def test_a_stacks_bench_type_reaches_the_twins_nodes() -> None:
    spec = default_groups(110, "m6a.8xlarge")["bench"]
    # 6 % of core 1 + 1 % of core 2 + 0.5 % of cores 3-4 + 0.25 % of 28 more = 60 + 10 + 10 + 70
    assert spec.instance.vcpu == 32 and spec.allocatable()[0] == 32_000 - 150


def test_daemonset_overhead_is_the_daemonsets_the_twin_serves() -> None:
    load = DaemonSetLoad.from_shape()
    assert load.pods == len(daemonsets.SETS) == 5
    assert load.cpu_m == sum(cpu_millis(cpu) for _, cpu, _ in daemonsets.SETS.values()) == 155
    assert load.memory == sum(k8s_bytes(mem) for _, _, mem in daemonsets.SETS.values()) == 120 * MIB


def test_infras_node_allowance_covers_the_daemonsets_requests() -> None:
    """What infra leaves below allocatable on the operator and monitoring nodes holds every DaemonSet's request."""
    load = DaemonSetLoad.from_shape()
    assert load.cpu_m <= sizing.DAEMONSET_CPU_M
    assert load.memory <= sizing.DAEMONSET_MEMORY_MIB * MIB


def test_plan_defaults_are_infras_defaults() -> None:
    built = settings.parse({"janitorEnabled": "false"}, stack="t", region="us-west-2")
    assert {r: g.instance_type for r, g in built.node_groups.items()} == cost.DEFAULT_INSTANCE_TYPES
    assert {r: g.max_size for r, g in built.node_groups.items() if r != roles.BENCH} == cost.DEFAULT_FIXED_NODES
    assert built.node_groups[roles.BENCH].disk_gib == cost.DEFAULT_DISK_GIB
    assert built.node_groups[roles.BENCH].max_pods == cluster_shape.bench_max_pods() == 220
    assert cost.StackShape(bench_nodes=1).max_pods == 220


def test_every_allowed_type_has_a_price() -> None:
    table = pricing.default_table("us-west-2")
    assert set(cluster_shape.instance_types()) <= set(table.instances)
