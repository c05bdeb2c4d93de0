"""Pure sizing rules: what a node can give its pods, the operator controller's CPU/memory/workers,
and Prometheus/Grafana requests on the monitoring node. No Pulumi here; unit-tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.instances import InstanceType, shape

_ALLOC = shape()["allocatable"]
VISIBLE_MEMORY_FRACTION: float = _ALLOC["visible_memory_fraction"]
EVICTION_HARD_MIB: int = _ALLOC["eviction_hard_memory_mib"]  # kubelet evictionHard memory.available (nodeadm)
# Room left below allocatable for the per-node DaemonSets and for kubelet/containerd usage above
# kube-reserved: the shape file's `node_allowance` (its justification is there).
DAEMONSET_CPU_M: int = shape()["node_allowance"]["cpu_m"]
DAEMONSET_MEMORY_MIB: int = shape()["node_allowance"]["memory_mib"]
# Requests stay below what is free by this factor, so the pod still fits after a DaemonSet grows.
MEMORY_HEADROOM = 0.9
CPU_HEADROOM = 0.9
# The published benchmark ran 20 workers with 33 CPUs requested on a c5.9xlarge (~0.6 workers per CPU);
# below 10 (the chart default) the controller under-uses even a small node.
WORKERS_PER_CPU = 0.6
MIN_WORKERS = 10
MAX_WORKERS = 64


@dataclass(frozen=True)
class Allocatable:
    """What the scheduler can place on a node: millicores and MiB."""

    cpu_m: int
    memory_mib: int


@dataclass(frozen=True)
class OperatorSizing:
    """Spark Operator controller and webhook requests (Kubernetes quantity strings) and workers."""

    controller_cpu: str
    controller_memory: str
    workers: int
    webhook_cpu: str
    webhook_memory: str


@dataclass(frozen=True)
class MonitoringSizing:
    """Prometheus and Grafana requests (Kubernetes quantity strings), no limits."""

    prometheus_cpu: str
    prometheus_memory: str
    grafana_cpu: str
    grafana_memory: str


def standard_max_pods(itype: InstanceType) -> int:
    """nodeadm's maxPods for a type when no NodeConfig sets one: ENIs x (IPv4 per ENI - 1) + 2.

    awslabs/amazon-eks-ami v20260724 nodeadm/internal/kubelet/eni_max_pods.go (calculateStandardMaxPods).
    """
    return itype.enis * (itype.ipv4_per_eni - 1) + 2


def kube_reserved_cpu_m(vcpu: int) -> int:
    """nodeadm's kube-reserved CPU: 6 % of the 1st core, 1 % of the 2nd, 0.5 % of the 3rd-4th, 0.25 % above.

    awslabs/amazon-eks-ami v20260724 nodeadm/internal/kubelet/config.go (getCPUMillicoresToReserve).
    """
    total = vcpu * 1000
    ends = [*_ALLOC["cpu_reserve_ranges_m"], total]
    starts = [0, *_ALLOC["cpu_reserve_ranges_m"]]
    reserved = 0
    for start, end, points in zip(starts, ends, _ALLOC["cpu_reserve_basis_points"], strict=True):
        if total > start:
            reserved += (min(total, end) - start) * points // 10000
    return reserved


def kube_reserved_memory_mib(standard_pods: int) -> int:
    """nodeadm's kube-reserved memory: 255 MiB + 11 MiB per pod of the type's *standard* maxPods.

    awslabs/amazon-eks-ami v20260724 nodeadm/internal/kubelet/config.go (getMemoryMebibytesToReserve, fed
    the maxPods nodeadm computed before a NodeConfig's kubelet.config.maxPods is written as a drop-in).
    """
    base: int = _ALLOC["memory_reserved_base_mib"]
    per_pod: int = _ALLOC["memory_reserved_per_pod_mib"]
    return base + per_pod * standard_pods


def capacity_memory_mib(itype: InstanceType) -> int:
    """The memory capacity the kubelet reports (the recorded figure, else a fraction of the EC2 figure)."""
    if itype.kubelet_memory_mib is not None:
        return itype.kubelet_memory_mib
    return int(itype.memory_gib * 1024 * VISIBLE_MEMORY_FRACTION)


def allocatable(itype: InstanceType) -> Allocatable:
    """Node allocatable as the kubelet computes it on an EKS AL2023 node (capacity - kube-reserved - eviction).

    The maxPods a NodeConfig sets (bench: 220) does not enter: kube-reserved follows the standard maxPods.
    """
    reserved = kube_reserved_memory_mib(standard_max_pods(itype))
    return Allocatable(
        cpu_m=itype.vcpu * 1000 - kube_reserved_cpu_m(itype.vcpu),
        memory_mib=capacity_memory_mib(itype) - reserved - EVICTION_HARD_MIB,
    )


def _gi(mib: float) -> str:
    return f"{max(int(mib // 1024), 1)}Gi"


def operator_sizing(itype: InstanceType, *, webhook_enabled: bool = True) -> OperatorSizing:
    """Size the controller to the whole operator node, minus DaemonSets and the webhook.

    c5.9xlarge (36 vCPU, 72 GiB) -> controller 33 CPUs / 50Gi, 20 workers, webhook 1 CPU / 9Gi: the
    published benchmark's 33 CPUs / 50Gi / 20 workers.
    """
    alloc = allocatable(itype)
    webhook_cpu_m = (1000 if itype.vcpu >= 8 else 500) if webhook_enabled else 0
    webhook_mib = min(max(itype.memory_gib * 1024 // 8, 1024), 10 * 1024) if webhook_enabled else 0
    controller_cores = (alloc.cpu_m - DAEMONSET_CPU_M - webhook_cpu_m) // 1000
    if controller_cores < 1:
        raise ValueError(f"{itype.name} is too small for the Spark Operator ({alloc.cpu_m}m allocatable)")
    controller_mib = (alloc.memory_mib - DAEMONSET_MEMORY_MIB - webhook_mib) * MEMORY_HEADROOM
    workers = min(max(round(controller_cores * WORKERS_PER_CPU), MIN_WORKERS), MAX_WORKERS)
    return OperatorSizing(
        controller_cpu=str(controller_cores),
        controller_memory=_gi(controller_mib),
        workers=workers,
        webhook_cpu=f"{webhook_cpu_m}m" if webhook_enabled else "0",
        webhook_memory=_gi(webhook_mib) if webhook_enabled else "0",
    )


def monitoring_sizing(itype: InstanceType) -> MonitoringSizing:
    """Give Prometheus most of the monitoring node; Grafana a fixed slice.

    r6a.2xlarge (8 vCPU, 64 GiB) -> Prometheus 5700m / 53Gi, Grafana 500m / 1Gi.
    """
    alloc = allocatable(itype)
    grafana_cpu_m = 500 if itype.vcpu < 16 else 1000
    grafana_mib = 1024 if itype.vcpu < 16 else 2048
    prom_cpu_m = (alloc.cpu_m - DAEMONSET_CPU_M - grafana_cpu_m) * CPU_HEADROOM
    prom_mib = (alloc.memory_mib - DAEMONSET_MEMORY_MIB - grafana_mib) * MEMORY_HEADROOM
    if prom_cpu_m < 500 or prom_mib < 2048:
        raise ValueError(f"{itype.name} is too small for Prometheus (needs >= 0.5 CPU and 2 GiB after reserves)")
    return MonitoringSizing(
        prometheus_cpu=f"{int(prom_cpu_m // 100) * 100}m",
        prometheus_memory=_gi(prom_mib),
        grafana_cpu=f"{grafana_cpu_m}m",
        grafana_memory=_gi(grafana_mib),
    )
