"""`meta.k8s.io/v1` Table responses (what `kubectl get` asks for): columns and cells per resource type.

SparkApplications use the CRD's additionalPrinterColumns; the built-in kinds the columns kube-apiserver
prints for them (kubernetes/kubernetes pkg/printers/internalversion/printers.go `AddHandlers` and the `print*`
functions). The apiserver builds a Table with every column, priority-1 ("wide") ones included, and kubectl
hides those without `-o wide`; so do the rows here. printers.go was NOT read at a tag: kubernetes/kubernetes
(1.9 GB) is above the snapshot size limit of the tools used and no staging mirror carries pkg/printers; it
was read in stored copies of the file, which carry no tag (the DaemonSet columns, wide ones included, are the
same in every copy read, old and new; the pod cells and the string type of the ConfigMap and ServiceAccount
count columns follow the newest copies). The helpers it calls were read at tags: kubernetes/apimachinery
v0.31.0, v0.32.0 and v0.33.0 pkg/util/duration/duration.go `HumanDuration` (ages, rendered server-side),
pkg/labels/labels.go `FormatLabels` (sorted `k=v`, `<none>` when empty), pkg/apis/meta/v1/helpers.go
`FormatLabelSelector` and pkg/labels/selector.go (requirements sorted by key).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from benchkit import clock
from benchkit.twin.resources import CONFIGMAPS, DAEMONSETS, NAMESPACES, NODES, PODS, SERVICEACCOUNTS, ResourceType

Obj = dict[str, Any]
_NAME = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
_AGE = {"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp of the object.", "priority": 0}


def _col(name: str, kind: str = "string", priority: int = 0, description: str = "") -> Obj:
    return {"name": name, "type": kind, "format": "", "description": description or name, "priority": priority}


COLUMNS: dict[str, list[Obj]] = {
    "pods": [_NAME, _col("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
             _col("Status", description="The aggregate status of the containers in this pod."),
             _col("Restarts", description="The number of times the containers in this pod have been restarted "
                                          "and when the last container in this pod has restarted."),
             _AGE, _col("IP", priority=1), _col("Node", priority=1), _col("Nominated Node", priority=1),
             _col("Readiness Gates", priority=1)],
    "nodes": [_NAME, _col("Status", description="The status of the node"),
              _col("Roles", description="The roles of the node"), _AGE,
              _col("Version", description="Kubelet Version reported by the node."),
              _col("Internal-IP", priority=1), _col("External-IP", priority=1), _col("OS-Image", priority=1),
              _col("Kernel-Version", priority=1), _col("Container-Runtime", priority=1)],
    "namespaces": [_NAME, _col("Status", description="The status of the namespace"), _AGE],
    "configmaps": [_NAME, _col("Data"), _AGE],  # type "string" upstream, the cell an integer
    "serviceaccounts": [_NAME, _col("Secrets"), _AGE],
    "sparkapplications": [_NAME, _col("Status"), _col("Attempts"), _col("Start"), _col("Finish"), _col("Age", "date")],
    "daemonsets": [_NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                   _col("Up-to-date", "integer"), _col("Available", "integer"), _col("Node Selector"), _AGE,
                   _col("Containers", priority=1, description="Names of each container in the template."),
                   _col("Images", priority=1, description="Images referenced by each container in the template."),
                   _col("Selector", priority=1)],
}  # fmt: skip


def human_duration(seconds: float) -> str:  # noqa: PLR0911 - one return per range, as upstream
    """k8s.io/apimachinery duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _age(obj: Obj, now: float) -> str:
    created = clock.parse_k8s_time(obj["metadata"].get("creationTimestamp"))
    return "<unknown>" if created is None else human_duration(now - created)


def _pod_cells(pod: Obj, now: float) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    finished = [clock.parse_k8s_time(((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
                for c in statuses]  # fmt: skip
    last_restart = max((t for t in finished if t is not None), default=None)
    restarts_cell = str(restarts)
    if restarts and last_restart is not None:
        restarts_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"
    reason = status.get("reason") or status.get("phase") or "Pending"
    for c in statuses:
        state = c.get("state") or {}
        detail = (state.get("waiting") or {}).get("reason") or (state.get("terminated") or {}).get("reason")
        if detail:
            reason = detail
    if pod["metadata"].get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    total = len(spec.get("containers") or [])
    return [pod["metadata"]["name"], f"{ready}/{total}", reason, restarts_cell, _age(pod, now),
            status.get("podIP") or "<none>", spec.get("nodeName") or "<none>", "<none>", "<none>"]  # fmt: skip


def _node_cells(node: Obj, now: float) -> list[Any]:
    status = node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else ("NotReady" if ready else "Unknown")
    if (node.get("spec") or {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(
        k.split("/", 1)[1] for k in (node["metadata"].get("labels") or {}) if k.startswith("node-role.kubernetes.io/")
    )
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    info = status.get("nodeInfo") or {}
    return [node["metadata"]["name"], state, ",".join(roles) or "<none>", _age(node, now),
            info.get("kubeletVersion", ""), addresses.get("InternalIP", "<none>"),
            addresses.get("ExternalIP", "<none>"), info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion", "<unknown>")]  # fmt: skip


def _app_cells(app: Obj, now: float) -> list[Any]:
    status = app.get("status") or {}
    state = (status.get("applicationState") or {}).get("state")
    return [app["metadata"]["name"], state, status.get("executionAttempts"), status.get("lastSubmissionAttemptTime"),
            status.get("terminationTime"), _age(app, now)]  # fmt: skip


def cells(resource: ResourceType, obj: Obj, now: float) -> list[Any]:  # noqa: PLR0911 - one return per kind
    if resource is PODS:
        return _pod_cells(obj, now)
    if resource is NODES:
        return _node_cells(obj, now)
    if resource is NAMESPACES:
        return [obj["metadata"]["name"], (obj.get("status") or {}).get("phase", "Active"), _age(obj, now)]
    if resource is CONFIGMAPS:
        return [obj["metadata"]["name"], len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _age(obj, now)]
    if resource is SERVICEACCOUNTS:
        return [obj["metadata"]["name"], len(obj.get("secrets") or []), _age(obj, now)]
    if resource is DAEMONSETS:
        return _daemonset_cells(obj, now)
    return _app_cells(obj, now)


def _daemonset_cells(ds: Obj, now: float) -> list[Any]:
    st, spec = ds.get("status") or {}, ds.get("spec") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    containers = pod_spec.get("containers") or []
    return [ds["metadata"]["name"], st.get("desiredNumberScheduled", 0), st.get("currentNumberScheduled", 0),
            st.get("numberReady", 0), st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0),
            format_labels(pod_spec.get("nodeSelector") or {}), _age(ds, now),
            ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers),
            format_label_selector(spec.get("selector"))]  # fmt: skip


def format_labels(labels: dict[str, str]) -> str:
    """apimachinery labels.FormatLabels: `k=v` pairs sorted, comma-joined; `<none>` when empty."""
    return ",".join(sorted(f"{k}={v}" for k, v in labels.items())) or "<none>"


_OPERATORS = {"In": " in ", "NotIn": " notin "}


def format_label_selector(selector: Obj | None) -> str:
    """apimachinery metav1.FormatLabelSelector: the selector's requirements sorted by key; `<none>` when empty."""
    if not selector:
        return "<none>"
    reqs = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), sorted(expr.get("values") or [])
        if op in _OPERATORS:
            reqs.append((key, f"{key}{_OPERATORS[op]}({','.join(values)})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
        else:
            return "<error>"
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0])) or "<none>"


def row(resource: ResourceType, obj: Obj, include: str, now: float) -> Obj:
    out: Obj = {"cells": cells(resource, obj, now)}
    if include == "Object":
        out["object"] = obj
    elif include != "None":
        out["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
    return out


def table(resource: ResourceType, objs: Iterable[Obj], list_meta: Obj, include: str = "Metadata") -> Obj:
    now = time.time()
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": COLUMNS[resource.plural],
        "rows": [row(resource, o, include, now) for o in objs],
    }
