"""The Kubernetes side of scaling: how many nodes of a group are Ready and run every DaemonSet meant for them.

Nodes of a managed node group carry `eks.amazonaws.com/nodegroup=<name>` (the twin labels its nodes the
same way). EKS sets that label itself; the bench group's nodes also carry the label infra sets
(`NodeGroupType=spark-operator-benchmark-ng`), and either one finds them, so a node EKS did not label can
never leave `nodes scale` waiting forever.

A node counts as complete when it is Ready and, for every DaemonSet whose pod template can land on it
(nodeSelector, required node affinity, tolerations), a pod of that DaemonSet is Running there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchkit.errors import ApiError, StatusError, TransportError
from benchkit.kube import labels, rest
from benchkit.kube.rest import ApiClient

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
BENCH_ROLE = "bench"
"""infra names its groups `<cluster>-<role>`; the twin names them by role."""
POLL_S = 5.0
"""Longest interval between two observations while waiting."""
FIRST_POLL_S = 0.25
NODES = "/api/v1/nodes"
DAEMONSETS = "/apis/apps/v1/daemonsets"


class ScaleTimeout(ApiError):
    """The group did not reach the wanted size in time (exit 1); the message says where it stopped."""


@dataclass(frozen=True)
class GroupState:
    """One observation of a node group in Kubernetes."""

    group: str
    nodes: int
    ready: int
    complete: int
    """Ready nodes on which every DaemonSet that targets them has a Running pod."""
    daemonsets: int
    lagging: tuple[str, ...] = field(default=())
    """"<ns>/<daemonset> missing on <n> node(s)", for the progress line and the timeout message."""
    daemonsets_checked: bool = True
    """False when the API server does not serve apps/v1 DaemonSets."""

    def reached(self, count: int) -> bool:
        if count == 0:
            return self.nodes == 0
        return self.nodes == count and self.ready == count and self.complete == count

    def describe(self, count: int) -> str:
        if count == 0:  # scaling away: only how many are left matters
            return (
                f"{self.group}: draining: {self.nodes} node(s) left" if self.nodes else f"{self.group}: no nodes left"
            )
        text = f"{self.group}: {self.nodes} node(s), {self.ready}/{count} Ready"
        if self.daemonsets_checked:
            text += f", {self.complete}/{count} with all {self.daemonsets} DaemonSet(s)"
        if self.lagging:
            text += f" (waiting on {'; '.join(self.lagging[:3])})"
        return text


def observe(api: ApiClient, group: str) -> GroupState:
    """List the group's nodes and the cluster's DaemonSets and count Ready / complete nodes."""
    try:
        nodes = group_nodes(lambda selector: rest.list_items(api, NODES, selector=selector), group)
    except (StatusError, TransportError) as exc:
        raise ApiError(f"listing nodes of node group {group}: {_why(exc)}") from None
    ready = [n for n in nodes if is_ready(n)]
    try:
        daemonsets = rest.list_items(api, DAEMONSETS)
    except StatusError as exc:
        if exc.status == 404:
            return GroupState(group, len(nodes), len(ready), len(ready), 0, daemonsets_checked=False)
        raise ApiError(f"listing DaemonSets: {_why(exc)}") from None
    except TransportError as exc:
        raise ApiError(f"listing DaemonSets: {_why(exc)}") from None
    complete = {n["metadata"]["name"] for n in ready}
    lagging: list[str] = []
    for ds in daemonsets:
        wanted = {n["metadata"]["name"] for n in ready if targets(ds["spec"]["template"].get("spec") or {}, n)}
        if not wanted:
            continue
        running = _running_pod_nodes(api, ds)
        missing = wanted - running
        if missing:
            complete -= missing
            lagging.append(f"{ds['metadata']['namespace']}/{ds['metadata']['name']} missing on {len(missing)} node(s)")
    return GroupState(group, len(nodes), len(ready), len(complete), len(daemonsets), tuple(lagging))


def node_selectors(group: str) -> list[str]:
    """Label selectors that find a group's nodes: the EKS label, and for the bench group infra's own label."""
    selectors = [f"{NODEGROUP_LABEL}={group}"]
    if group == BENCH_ROLE or group.endswith(f"-{BENCH_ROLE}"):
        selectors.append(f"{labels.NODE_GROUP_TYPE}={labels.BENCH_NODE_GROUP}")
    return selectors


def group_nodes(list_nodes: Callable[[str], list[dict[str, Any]]], group: str) -> list[dict[str, Any]]:
    """The group's nodes found by any of its selectors, each once (`list_nodes(selector)` lists by label)."""
    found: dict[str, dict[str, Any]] = {}
    for selector in node_selectors(group):
        for node in list_nodes(selector):
            found.setdefault(node["metadata"]["name"], node)
    return list(found.values())


def wait_for(
    api: ApiClient,
    group: str,
    count: int,
    *,
    timeout: float,
    poll: float = POLL_S,
    on_progress: Callable[[GroupState, float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> GroupState:
    """Poll until the group has exactly `count` nodes, all Ready and complete (or none, for 0).

    The interval starts at FIRST_POLL_S and doubles up to `poll`: quick feedback, then little API load.
    """
    start = clock()
    interval = min(FIRST_POLL_S, poll)
    while True:
        state = observe(api, group)
        elapsed = clock() - start
        if on_progress is not None:
            on_progress(state, elapsed)
        if state.reached(count):
            return state
        if elapsed >= timeout:
            raise ScaleTimeout(f"timed out after {elapsed:.0f} s: {state.describe(count)}")
        sleep(min(interval, max(0.0, timeout - elapsed)))
        interval = min(interval * 2, poll)


def is_ready(node: dict[str, Any]) -> bool:
    if (node.get("spec") or {}).get("unschedulable"):
        return False
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def targets(pod_spec: dict[str, Any], node: dict[str, Any]) -> bool:
    """Can a pod with this spec be placed on this node? (nodeSelector, required node affinity, taints)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    selector = pod_spec.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    affinity = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if affinity and not any(_term_matches(t, labels) for t in affinity.get("nodeSelectorTerms") or []):
        return False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = pod_spec.get("tolerations") or []
    return all(
        any(_tolerates(tol, taint) for tol in tolerations)
        for taint in taints
        if taint.get("effect") in ("NoSchedule", "NoExecute")
    )


def label_selector(selector: dict[str, Any]) -> str:
    """A LabelSelector object (matchLabels + matchExpressions) as a selector string."""
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def _term_matches(term: dict[str, Any], labels: dict[str, str]) -> bool:
    for expr in term.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
            "Gt": key in labels and _int(labels[key]) > _int(values[0] if values else None),
            "Lt": key in labels and _int(labels[key]) < _int(values[0] if values else None),
        }.get(str(op), False)
        if not ok:
            return False
    return True


def _int(value: Any) -> float:
    try:
        return float(int(value))
    except (TypeError, ValueError):
        return float("nan")


def _tolerates(tol: dict[str, Any], taint: dict[str, Any]) -> bool:
    if tol.get("effect") and tol.get("effect") != taint.get("effect"):
        return False
    if not tol.get("key"):  # empty key + Exists tolerates everything
        return tol.get("operator") == "Exists"
    if tol.get("key") != taint.get("key"):
        return False
    if tol.get("operator") == "Exists":
        return True
    return (tol.get("value") or "") == (taint.get("value") or "")


def _why(exc: StatusError | TransportError) -> str:
    return str(exc) if isinstance(exc, StatusError) else f"no answer from the API server: {exc}"


def _running_pod_nodes(api: ApiClient, ds: dict[str, Any]) -> set[str]:
    namespace = ds["metadata"]["namespace"]
    try:
        pods = rest.list_items(api, f"/api/v1/namespaces/{namespace}/pods",
                               selector=label_selector(ds["spec"]["selector"]))  # fmt: skip
    except (StatusError, TransportError) as exc:
        raise ApiError(f"listing pods of DaemonSet {namespace}/{ds['metadata']['name']}: {_why(exc)}") from None
    uid = ds["metadata"].get("uid")
    nodes: set[str] = set()
    for pod in pods:
        owners = (pod.get("metadata") or {}).get("ownerReferences") or []
        if uid and owners and not any(o.get("uid") == uid for o in owners):
            continue
        status = pod.get("status") or {}
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        if status.get("phase") == "Running" and conditions.get("Ready", "True") == "True":
            nodes.add(str((pod.get("spec") or {}).get("nodeName")))
    return nodes
