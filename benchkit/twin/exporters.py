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

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from benchkit.twin.resources import NODES, PODS
from benchkit.twin.store import Store

POD_PHASES = ("Pending", "Succeeded", "Failed", "Unknown", "Running")
CONDITION_STATUSES = ("true", "false", "unknown")


def kube_state_metrics(store: Store) -> Iterator[Metric]:
    phases = GaugeMetricFamily("kube_pod_status_phase", "The pods current phase.", labels=["namespace", "pod", "phase"])
    for rec in store.records(PODS):
        current = (rec.fields or {}).get("status.phase") or "Unknown"
        for phase in POD_PHASES:
            phases.add_metric([rec.ns, rec.name, phase], 1.0 if phase == current else 0.0)
    yield phases
    conditions = GaugeMetricFamily("kube_node_status_condition", "The condition of a cluster node.",
                                   labels=["node", "condition", "status"])  # fmt: skip
    for rec in store.records(NODES):
        for cond in (rec.obj().get("status") or {}).get("conditions") or []:
            status = str(cond.get("status", "Unknown")).lower()
            for value in CONDITION_STATUSES:
                conditions.add_metric([rec.name, str(cond.get("type")), value], 1.0 if value == status else 0.0)
    yield conditions


def cadvisor_memory(labels: dict[str, str], working_set: float) -> Metric:
    family = GaugeMetricFamily("container_memory_working_set_bytes", "Current working set of the container in bytes.",
                               labels=list(labels))  # fmt: skip
    family.add_metric(list(labels.values()), working_set)
    return family
