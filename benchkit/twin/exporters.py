"""Series the real stack gets from exporters beside the API server, derived from the twin's store and model.

kube-state-metrics (kubernetes/kube-state-metrics v2.20.0 docs/metrics/workload/pod-metrics.md and
docs/metrics/cluster/node-metrics.md; v2.20.0 is the appVersion of chart kube-state-metrics-8.4.0, the subchart
prometheus-community/helm-charts kube-prometheus-stack-88.5.3 Chart.yaml pins, whose values leave the image tag unset):
  kube_pod_status_phase{namespace, pod, phase} gauge, 1 for the pod's phase and 0 for the four others
    (the real series also carries `uid`; the twin leaves it out, no query groups by it);
  kube_node_status_condition{node, condition, status} gauge, one series per status true/false/unknown.
cAdvisor through the kubelet: container_memory_working_set_bytes{namespace, pod, container} for the operator's
controller container, equal to the modelled process memory (the twin has one account for both).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from benchkit.twin.exposition import LineCache, Prerendered
from benchkit.twin.record import Record
from benchkit.twin.resources import NODES, PODS
from benchkit.twin.store import Store

POD_PHASES = ("Pending", "Succeeded", "Failed", "Unknown", "Running")
CONDITION_STATUSES = ("true", "false", "unknown")


def kube_state_metrics(store: Store) -> Iterator[Metric]:
    """The reference families (every sample through prometheus_client); `KubeStateMetrics` yields the same text."""
    yield pod_phases(store.records(PODS))
    yield node_conditions(store.records(NODES))


def pod_phases(pods: Iterable[Record]) -> Metric:
    phases = GaugeMetricFamily("kube_pod_status_phase", "The pods current phase.", labels=["namespace", "pod", "phase"])
    for rec in pods:
        current = _phase(rec)
        for phase in POD_PHASES:
            phases.add_metric([rec.ns, rec.name, phase], 1.0 if phase == current else 0.0)
    return phases


def node_conditions(nodes: Iterable[Record]) -> Metric:
    conditions = GaugeMetricFamily("kube_node_status_condition", "The condition of a cluster node.",
                                   labels=["node", "condition", "status"])  # fmt: skip
    for rec in nodes:
        for cond in (rec.obj().get("status") or {}).get("conditions") or []:
            status = str(cond.get("status", "Unknown")).lower()
            for value in CONDITION_STATUSES:
                conditions.add_metric([rec.name, str(cond.get("type")), value], 1.0 if value == status else 0.0)
    return conditions


def _phase(rec: Record) -> str:
    return (rec.fields or {}).get("status.phase") or "Unknown"


def _phase_values(rec: Record) -> list[float]:
    current = _phase(rec)
    return [1.0 if phase == current else 0.0 for phase in POD_PHASES]


class KubeStateMetrics:
    """`kube_state_metrics` with each object's lines rendered once per version (see exposition.py for why):
    a pod's by its phase (its labels are fixed by its key: a new phase only changes the values), a node's by its
    serialized bytes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pods = LineCache[Record](lambda rec: pod_phases((rec,)), _phase_values)
        self.nodes = LineCache[Record](lambda rec: node_conditions((rec,)))

    def collect(self) -> Iterator[Metric]:
        pods = self.store.records(PODS)
        yield Prerendered(pod_phases(()), self.pods.lines((rec.key, _phase(rec), rec) for rec in pods))
        nodes = self.store.records(NODES)
        yield Prerendered(node_conditions(()), self.nodes.lines((rec.key, rec.raw, rec) for rec in nodes))


def cadvisor_memory(labels: dict[str, str], working_set: float) -> Metric:
    family = GaugeMetricFamily("container_memory_working_set_bytes", "Current working set of the container in bytes.",
                               labels=list(labels))  # fmt: skip
    family.add_metric(list(labels.values()), working_set)
    return family
