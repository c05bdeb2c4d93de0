"""Cluster-shape facts from benchkit/data/cluster_shape.yaml: instance types, maxPods, DaemonSets, allocatable.

The same file is read by infra/ (which never imports benchkit); the twin's node model, its DaemonSets,
`plan` and pricing read it through here. The allocatable arithmetic is nodeadm's (awslabs/amazon-eks-ami
v20260724, nodeadm/internal/kubelet/config.go and eni_max_pods.go); its parameters live in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

MIB = 1024 * 1024


@dataclass(frozen=True)
class InstanceShape:
    """An allowed EC2 instance type: vCPUs, memory, and the ENI facts nodeadm's maxPods comes from."""

    name: str
    vcpu: int
    memory_gib: int
    enis: int
    ipv4_per_eni: int
    kubelet_memory_mib: int | None = None

    @property
    def capacity_memory_mib(self) -> int:
        """Memory capacity the kubelet reports (recorded figure, else the shape file's visible fraction)."""
        if self.kubelet_memory_mib is not None:
            return self.kubelet_memory_mib
        return int(self.memory_gib * 1024 * _allocatable()["visible_memory_fraction"])

    @property
    def standard_max_pods(self) -> int:
        """nodeadm's maxPods when no NodeConfig sets one: ENIs x (IPv4 per ENI - 1) + 2 (eni_max_pods.go)."""
        return self.enis * (self.ipv4_per_eni - 1) + 2


@dataclass(frozen=True)
class DaemonSetShape:
    name: str
    image: str
    cpu: str
    memory: str


@cache
def data() -> dict[str, Any]:
    """The parsed file (read once per process)."""
    text = resources.files("benchkit.data").joinpath("cluster_shape.yaml").read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _allocatable() -> dict[str, Any]:
    params: dict[str, Any] = data()["allocatable"]
    return params


@cache
def instance_types() -> dict[str, InstanceShape]:
    return {
        name: InstanceShape(
            name, row["vcpu"], row["memory_gib"], row["enis"], row["ipv4_per_eni"], row.get("kubelet_memory_mib")
        )
        for name, row in data()["instance_types"].items()
    }


def instance(name: str) -> InstanceShape:
    """KeyError for a type the stack does not allow."""
    return instance_types()[name]


def kube_reserved_cpu_m(vcpu: int) -> int:
    """nodeadm getCPUMillicoresToReserve: per-range basis points of the node's millicores."""
    p = _allocatable()
    total = vcpu * 1000
    starts = [0, *p["cpu_reserve_ranges_m"]]
    ends = [*p["cpu_reserve_ranges_m"], total]
    reserved = 0
    for start, end, points in zip(starts, ends, p["cpu_reserve_basis_points"], strict=True):
        if total > start:
            reserved += (min(total, end) - start) * points // 10000
    return reserved


def kube_reserved_memory_mib(standard_pods: int) -> int:
    """nodeadm getMemoryMebibytesToReserve: base + per pod of the type's standard maxPods."""
    p = _allocatable()
    return int(p["memory_reserved_base_mib"]) + int(p["memory_reserved_per_pod_mib"]) * standard_pods


def eviction_hard_mib() -> int:
    return int(_allocatable()["eviction_hard_memory_mib"])


def allocatable(itype: InstanceShape) -> tuple[int, int]:
    """(millicores, MiB) a node of `itype` reports as allocatable, whatever maxPods a NodeConfig sets."""
    reserved = kube_reserved_memory_mib(itype.standard_max_pods)
    return (itype.vcpu * 1000 - kube_reserved_cpu_m(itype.vcpu),
            itype.capacity_memory_mib - reserved - eviction_hard_mib())  # fmt: skip


def bench_max_pods() -> int:
    return int(data()["max_pods"]["bench"])


def max_nodes_per_group() -> int:
    return int(data()["eks"]["max_nodes_per_node_group"])


def prefix_addresses() -> int:
    return int(data()["eks"]["prefix_addresses"])


def daemonsets() -> dict[str, DaemonSetShape]:
    return {name: DaemonSetShape(name, row["image"], str(row["cpu"]), str(row["memory"]))
            for name, row in data()["daemonsets"].items()}  # fmt: skip


def default_instance_types() -> dict[str, str]:
    return dict(data()["defaults"]["instance_types"])


def default_fixed_nodes() -> dict[str, int]:
    return dict(data()["defaults"]["fixed_nodes"])


def default_bench_max_nodes() -> int:
    return int(data()["defaults"]["bench_max_nodes"])


def default_disk_gib() -> int:
    return int(data()["defaults"]["disk_gib"])
