"""Pure sizing rules: what a node can give its pods, the operator controller's CPU/memory/workers,
and Prometheus/Grafana requests on the monitoring node. No Pulumi here; unit-tested on their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from infra.instances import InstanceType

# What the kernel and firmware keep of the advertised memory before the kubelet sees it (typically 2-5 %).
VISIBLE_MEMORY_FRACTION = 0.96
EVICTION_HARD_MIB = 100  # kubelet memory.available eviction threshold on EKS AMIs
# Room left for the per-node DaemonSets (aws-node, kube-proxy, ebs-csi-node, eks-pod-identity-agent,
# prometheus-node-exporter) and for kubelet/containerd usage above kube-reserved.
DAEMONSET_CPU_M = 1000
DAEMONSET_MEMORY_MIB = 1024
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


def eks_default_max_pods(itype: InstanceType) -> int:
    """EKS's recommended maxPods with prefix delegation: 110 below 30 vCPUs, 250 from 30 vCPUs."""
    return 110 if itype.vcpu < 30 else 250


def kube_reserved_cpu_m(vcpu: int) -> int:
    """EKS AMI kube-reserved CPU: 6 % of the 1st core, 1 % of the 2nd, 0.5 % of the 3rd-4th, 0.25 % above."""
    reserved = 60.0 + 10.0 * min(max(vcpu - 1, 0), 1) + 5.0 * min(max(vcpu - 2, 0), 2)
    reserved += 2.5 * max(vcpu - 4, 0)
    return math.ceil(reserved)


def kube_reserved_memory_mib(max_pods: int) -> int:
    """EKS AMI kube-reserved memory: 255 MiB + 11 MiB per pod the node may run."""
    return 255 + 11 * max_pods


def allocatable(itype: InstanceType, max_pods: int | None = None) -> Allocatable:
    """Node allocatable as the kubelet computes it on an EKS AL2023 node (capacity - reserved - eviction)."""
    pods = eks_default_max_pods(itype) if max_pods is None else max_pods
    visible_mib = int(itype.memory_gib * 1024 * VISIBLE_MEMORY_FRACTION)
    return Allocatable(
        cpu_m=itype.vcpu * 1000 - kube_reserved_cpu_m(itype.vcpu),
        memory_mib=visible_mib - kube_reserved_memory_mib(pods) - EVICTION_HARD_MIB,
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

    r6a.2xlarge (8 vCPU, 64 GiB) -> Prometheus 5700m / 52Gi, Grafana 500m / 1Gi.
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
