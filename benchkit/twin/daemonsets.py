"""The cluster's DaemonSets, served read-only under apps/v1, with a Running pod on every Ready node.

EKS runs aws-node, kube-proxy, ebs-csi-node and eks-pod-identity-agent on every node, and the stack's
kube-prometheus-stack adds node-exporter; the model already subtracts their requests from what Spark pods
can use (nodes.py DaemonSetLoad); both read them from the cluster-shape data file (benchkit/settings/cluster_shape.py).
Here they become objects a client can see, so "every node runs its DaemonSets"
(`benchkit nodes scale --wait`) can be checked against the twin as on EKS. Minimal by design: all of them
tolerate every taint, pods are Running as soon as their node is Ready, and a pod deleted through the
API is recreated, as the DaemonSet controller would.
"""

from __future__ import annotations

import hashlib
from typing import Any

from benchkit import clock
from benchkit.settings import cluster_shape
from benchkit.twin.resources import DAEMONSETS, NAMESPACES, NODES, PODS
from benchkit.twin.store import Store

NAMESPACE = "kube-system"
# name -> (container image, cpu request, memory request)
SETS = {d.name: (d.image, d.cpu, d.memory) for d in cluster_shape.daemonsets().values()}
SELECTOR_LABEL = "app.kubernetes.io/name"


class DaemonSetController:
    """Keeps one pod per (DaemonSet, Ready node) in the store and the DaemonSets' status counts current."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def sync(self, now: float) -> None:
        """Install the DaemonSets if missing, create pods on Ready nodes, drop pods of gone nodes, count."""
        self._install(now)
        nodes = {rec.name: rec.obj() for rec in self.store.records(NODES)}
        ready = {name for name, node in nodes.items() if _is_ready(node)}
        for ds_name in SETS:
            ds = self.store.get(DAEMONSETS, NAMESPACE, ds_name)
            assert ds is not None
            owner = ds.obj()["metadata"]
            pods = {
                rec.name: rec
                for rec in self.store.records(PODS, NAMESPACE)
                if rec.labels.get(SELECTOR_LABEL) == ds_name
            }
            on_node = {(rec.fields or {}).get("spec.nodeName", ""): name for name, rec in pods.items()}
            for node_name, pod_name in on_node.items():
                if node_name not in nodes:
                    self.store.delete(PODS, NAMESPACE, pod_name, now)
            for node_name in sorted(ready - set(on_node)):
                self.store.create(PODS, _pod(ds_name, owner, nodes[node_name], now), now)
            current = sum(1 for n in on_node if n in nodes) + len(ready - set(on_node))
            running = len(ready)
            status = {"currentNumberScheduled": current, "desiredNumberScheduled": len(nodes),
                      "numberAvailable": running, "numberMisscheduled": 0, "numberReady": running,
                      "observedGeneration": 1, "updatedNumberScheduled": current}  # fmt: skip
            if len(nodes) > running:
                status["numberUnavailable"] = len(nodes) - running
            if (ds.obj().get("status") or {}) != status:
                self.store.update(DAEMONSETS, NAMESPACE, ds_name, status)

    def _install(self, now: float) -> None:
        if not self.store.namespace_exists(NAMESPACE):
            self.store.create(NAMESPACES, {"metadata": {"name": NAMESPACE}, "spec": {"finalizers": ["kubernetes"]},
                                           "status": {"phase": "Active"}}, now)  # fmt: skip
        for name, (image, cpu, memory) in SETS.items():
            if self.store.get(DAEMONSETS, NAMESPACE, name) is None:
                self.store.create(DAEMONSETS, _daemonset(name, image, cpu, memory), now)


def is_daemon_pod(namespace: str, name: str) -> bool:
    return namespace == NAMESPACE and any(name.startswith(f"{ds}-") for ds in SETS)


def _daemonset(name: str, image: str, cpu: str, memory: str) -> dict[str, Any]:
    labels = {SELECTOR_LABEL: name}
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v != "0"}
    return {
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [{"name": name, "image": image, "resources": {"requests": requests}}],
                    "tolerations": [{"operator": "Exists"}],
                    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [
                            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}},
                    "priorityClassName": "system-node-critical",
                },
            },
        },
        "status": {},
    }  # fmt: skip


def _pod(ds_name: str, owner: dict[str, Any], node: dict[str, Any], now: float) -> dict[str, Any]:
    node_name = node["metadata"]["name"]
    suffix = hashlib.sha256(node_name.encode()).hexdigest()[:5]
    image = SETS[ds_name][0]
    addresses = (node.get("status") or {}).get("addresses") or []
    ip = next((a["address"] for a in addresses if a.get("type") == "InternalIP"), "")
    ts = clock.iso(now)[:19] + "Z"
    kinds = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    conditions = [{"type": t, "status": "True", "lastTransitionTime": ts} for t in kinds]
    return {
        "metadata": {
            "name": f"{ds_name}-{suffix}",
            "namespace": NAMESPACE,
            "labels": {SELECTOR_LABEL: ds_name, "pod-template-generation": "1"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": ds_name,
                    "uid": owner.get("uid", ""),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": node_name,
            "containers": [{"name": ds_name, "image": image}],
            "tolerations": [{"operator": "Exists"}],
            "hostNetwork": True,
        },
        "status": {
            "phase": "Running",
            "conditions": conditions,
            "hostIP": ip,
            "podIP": ip,
            "startTime": ts,
            "qosClass": "Burstable",
            "containerStatuses": [
                {
                    "name": ds_name,
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "image": image,
                    "imageID": image,
                    "state": {"running": {"startedAt": ts}},
                }
            ],
        },
    }


def _is_ready(node: dict[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
