"""Node groups (core, operator, monitoring, bench) labelled and tainted as on the stack, with nodeadm's
allocatable arithmetic and the DaemonSet pods' requests reserved on every node.

Instance types, maxPods, DaemonSets and the allocatable parameters come from the cluster-shape data file
(benchkit/settings/cluster_shape.py), the one infra reads too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchkit.kube import labels as L
from benchkit.settings import cluster_shape
from benchkit.settings.cluster_shape import InstanceShape
from benchkit.twin.model.quantity import MIB, cpu_millis, format_bytes, format_cpu, k8s_bytes

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
REGION = "us-west-2"


@dataclass(frozen=True)
class DaemonSetLoad:
    """What the per-node DaemonSets request on every node (summed from the shape file)."""

    cpu_m: int
    memory: int
    pods: int

    @classmethod
    def from_shape(cls) -> DaemonSetLoad:
        sets = cluster_shape.daemonsets().values()
        return cls(sum(cpu_millis(d.cpu) for d in sets), sum(k8s_bytes(d.memory) for d in sets), len(sets))


@dataclass(frozen=True)
class GroupSpec:
    name: str
    instance: InstanceShape
    zones: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    taint_key: str | None = None
    max_pods: int = field(kw_only=True)
    """The kubelet's maxPods: a NodeConfig's (bench), else nodeadm's standard one for the type; no default,
    as nodeadm's defaultMaxPods (110) only applies to types it cannot look up, and the shape file has none."""
    daemonsets: DaemonSetLoad = field(default_factory=DaemonSetLoad.from_shape)

    def allocatable(self, max_pods: int | None = None) -> tuple[int, int]:
        """(millicores, bytes) the kubelet reports as allocatable.

        nodeadm reserves memory for the type's standard maxPods, not for the maxPods a NodeConfig sets,
        so `max_pods` does not enter (kept for callers that pass it).
        """
        cpu_m, memory_mib = cluster_shape.allocatable(self.instance)
        return cpu_m, memory_mib * MIB


def default_groups(max_pods: int, bench_instance_type: str | None = None) -> dict[str, GroupSpec]:
    """The stack's default groups; `bench_instance_type` replaces the default bench type (a stack's own)."""
    types = cluster_shape.default_instance_types()
    bench_type = bench_instance_type or types["bench"]
    zones = (f"{REGION}a", f"{REGION}b")

    def system_pods(role: str) -> int:  # no NodeConfig on these groups: nodeadm's standard maxPods
        return cluster_shape.instance(types[role]).standard_max_pods

    return {
        "core": GroupSpec("core", cluster_shape.instance(types["core"]), zones, {L.NODE_GROUP_TYPE: "core"},
                          max_pods=system_pods("core")),
        "operator": GroupSpec(
            "operator",
            cluster_shape.instance(types["operator"]),
            zones[:1],
            {L.NODE_GROUP_TYPE: L.OPERATOR_NODE_GROUP},
            taint_key=L.OPERATOR_NODE_GROUP,
            max_pods=system_pods("operator"),
        ),
        "monitoring": GroupSpec(
            "monitoring",
            cluster_shape.instance(types["monitoring"]),
            zones[:1],
            {L.NODE_GROUP_TYPE: L.MONITORING_NODE_GROUP},
            taint_key=L.MONITORING_NODE_GROUP,
            max_pods=system_pods("monitoring"),
        ),
        "bench": GroupSpec(
            "bench",
            cluster_shape.instance(bench_type),
            zones[:1],
            {L.NODE_GROUP_TYPE: L.BENCH_NODE_GROUP},
            taint_key=L.BENCH_TAINT_KEY,
            max_pods=max_pods,
        ),
    }  # fmt: skip


class Node:
    """One node's scheduling state. `free_*` is what Spark pods can still request."""

    __slots__ = (
        "alive",
        "alloc_cpu",
        "alloc_mem",
        "created_at",
        "free_cpu",
        "free_mem",
        "free_pods",
        "group",
        "labels",
        "max_pods",
        "name",
        "pods",
        "ready",
        "seq",
        "taints",
    )

    def __init__(self, name: str, spec: GroupSpec, seq: int, zone: str, created_at: float) -> None:
        self.name = name
        self.group = spec.name
        self.seq = seq
        self.created_at = created_at
        self.labels = {
            **spec.labels,
            NODEGROUP_LABEL: spec.name,
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "node.kubernetes.io/instance-type": spec.instance.name,
            "topology.kubernetes.io/region": REGION,
            "topology.kubernetes.io/zone": zone,
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/os": "linux",
            "kubernetes.io/hostname": name,
        }
        self.taints = [(spec.taint_key, "true", "NoSchedule")] if spec.taint_key else []
        self.max_pods = spec.max_pods
        self.alloc_cpu, self.alloc_mem = spec.allocatable(spec.max_pods)
        ds = spec.daemonsets
        self.free_cpu = self.alloc_cpu - ds.cpu_m
        self.free_mem = self.alloc_mem - ds.memory
        self.free_pods = self.max_pods - ds.pods
        self.ready = False
        self.alive = True
        self.pods: set[tuple[str, str]] = set()


def node_name(seq: int) -> str:
    """EKS-style private DNS name from the secondary CIDR (100.64.0.0/16)."""
    return f"ip-100-64-{seq // 250}-{seq % 250 + 4}.{REGION}.compute.internal"


def node_object(node: Node, spec: GroupSpec, ts: str) -> dict[str, Any]:
    ip = node.name.split(".")[0][3:].replace("-", ".")
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": node.name, "labels": dict(node.labels)},
        "spec": {
            "providerID": f"aws:///{node.labels['topology.kubernetes.io/zone']}/i-{node.seq:017x}",
            "taints": [{"key": k, "value": v, "effect": e} for k, v, e in node.taints],
        },
        "status": {
            "capacity": _resources(spec.instance.vcpu * 1000, spec.instance.capacity_memory_mib * MIB, node.max_pods),
            "allocatable": _resources(node.alloc_cpu, node.alloc_mem, node.max_pods),
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": node.name}],
            "nodeInfo": {
                "kubeletVersion": "v1.31.4-eks-aeac579",
                "osImage": "Amazon Linux 2023",
                "containerRuntimeVersion": "containerd://1.7.25",
                "architecture": "amd64",
                "operatingSystem": "linux",
                # V1NodeSystemInfo requires these: without them CoreV1Api.list_node() raises ValueError.
                "kernelVersion": "6.1.119-129.201.amzn2023.x86_64",
                "kubeProxyVersion": "v1.31.4-eks-aeac579",
                "bootID": f"{node.seq:08x}-0000-4000-8000-000000000000",
                "machineID": f"ec2{node.seq:029x}",
                "systemUUID": f"ec2{node.seq:05x}-0000-4000-8000-000000000000",
            },
            "conditions": node_conditions(node.ready, ts),
        },
    }


def node_status(node: Node, spec: GroupSpec, ts: str) -> dict[str, Any]:
    status: dict[str, Any] = node_object(node, spec, ts)["status"]
    return status


def node_conditions(ready: bool, ts: str) -> list[dict[str, str]]:
    pressure = [
        {"type": t, "status": "False", "reason": f"KubeletHas{r}", "lastHeartbeatTime": ts, "lastTransitionTime": ts}
        for t, r in (
            ("MemoryPressure", "SufficientMemory"),
            ("DiskPressure", "NoDiskPressure"),
            ("PIDPressure", "SufficientPID"),
        )
    ]
    ready_condition = {
        "type": "Ready",
        "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else "KubeletNotReady",
        "message": "kubelet is posting ready status" if ready else "container runtime network not ready",
        "lastHeartbeatTime": ts,
        "lastTransitionTime": ts,
    }
    return [*pressure, ready_condition]


def _resources(cpu_m: int, memory: int, pods: int) -> dict[str, str]:
    return {"cpu": format_cpu(cpu_m), "memory": format_bytes(memory), "pods": str(pods), "ephemeral-storage": "100Gi"}
