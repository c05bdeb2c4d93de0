"""Node groups (core, operator, monitoring, bench) labelled and tainted as on the stack, with EKS's
allocatable formulas and the DaemonSet pods' requests reserved on every node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchkit.kube import labels as L
from benchkit.twin.model.quantity import MIB, format_bytes, format_cpu

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
REGION = "us-west-2"


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int
    """What the kubelet reports as capacity (a little under the EC2 figure: firmware and kernel)."""


M5_XLARGE = InstanceType("m5.xlarge", 4, 15_563)
C5_9XLARGE = InstanceType("c5.9xlarge", 36, 70_580)
R6A_2XLARGE = InstanceType("r6a.2xlarge", 8, 63_380)
M6A_4XLARGE = InstanceType("m6a.4xlarge", 16, 63_380)


@dataclass(frozen=True)
class DaemonSetLoad:
    cpu_m: int = 155  # aws-node 25m + kube-proxy 100m + ebs-csi-node 30m
    memory: int = 200 * MIB
    pods: int = 4


@dataclass(frozen=True)
class GroupSpec:
    name: str
    instance: InstanceType
    zones: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    taint_key: str | None = None
    max_pods: int = 110
    daemonsets: DaemonSetLoad = DaemonSetLoad()

    def allocatable(self, max_pods: int) -> tuple[int, int]:
        """(millicores, bytes) the kubelet reports as allocatable."""
        cores = self.instance.vcpus
        reserve = 60 + (10 if cores > 1 else 0) + 5 * min(max(cores - 2, 0), 2) + 2.5 * max(cores - 4, 0)
        mem_reserve_mib = 255 + 11 * max_pods + 100
        return cores * 1000 - int(reserve), (self.instance.memory_mib - mem_reserve_mib) * MIB


def default_groups(max_pods: int) -> dict[str, GroupSpec]:
    zones = (f"{REGION}a", f"{REGION}b")
    return {
        "core": GroupSpec("core", M5_XLARGE, zones, {L.NODE_GROUP_TYPE: "core"}),
        "operator": GroupSpec(
            "operator",
            C5_9XLARGE,
            zones[:1],
            {L.NODE_GROUP_TYPE: L.OPERATOR_NODE_GROUP},
            taint_key=L.OPERATOR_NODE_GROUP,
        ),
        "monitoring": GroupSpec(
            "monitoring",
            R6A_2XLARGE,
            zones[:1],
            {L.NODE_GROUP_TYPE: L.MONITORING_NODE_GROUP},
            taint_key=L.MONITORING_NODE_GROUP,
        ),
        "bench": GroupSpec(
            "bench",
            M6A_4XLARGE,
            zones[:1],
            {L.NODE_GROUP_TYPE: L.BENCH_NODE_GROUP},
            taint_key=L.BENCH_TAINT_KEY,
            max_pods=max_pods,
        ),
    }


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
            "capacity": _resources(spec.instance.vcpus * 1000, spec.instance.memory_mib * MIB, node.max_pods),
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
