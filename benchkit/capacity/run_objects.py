"""Delete a run's (or every run's) SparkApplications and pods by benchkit's labels, and verify they are gone."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from benchkit.capacity.kubeapi import list_items, retrying
from benchkit.errors import ApiError
from benchkit.kube import labels

GROUP, VERSION, PLURAL = "sparkoperator.k8s.io", "v1beta2", "sparkapplications"
GONE_TIMEOUT_S = 300.0
"""How long deleted apps may take to disappear (finalizers, a busy API server) before teardown says so."""


@dataclass(frozen=True)
class DeleteResult:
    found: int
    """SparkApplications matching the selector before deletion."""
    namespaces: tuple[str, ...]
    remaining: int
    """SparkApplications still listed when verification gave up (0 when all are gone)."""
    pods_deleted: int
    """Labelled pods left behind once their apps were gone, deleted by label."""
    crd_missing: bool = False

    def describe(self) -> str:
        if self.crd_missing:
            return "the SparkApplication CRD is not installed: nothing to delete"
        if not self.found and not self.pods_deleted:
            return "none found"
        text = f"deleted {self.found} in {', '.join(self.namespaces) or '-'}"
        text += "; none remain" if not self.remaining else f"; {self.remaining} STILL PRESENT"
        if self.pods_deleted:
            text += f"; deleted {self.pods_deleted} leftover pod(s)"
        return text


def selector(run_id: str | None) -> str:
    """A run's objects, or every benchkit run's: deletion is by label only, never by namespace."""
    return labels.run_selector(run_id) if run_id else labels.any_run_selector()


def delete(
    api: k8s.ApiClient, run_id: str | None, *, timeout: float = GONE_TIMEOUT_S, poll: float = 1.0
) -> DeleteResult:
    """Delete the apps by label (deletecollection per namespace), wait until none are listed, then sweep pods."""
    custom, sel = k8s.CustomObjectsApi(api), selector(run_id)
    try:
        apps = _list_apps(custom, sel)
    except ApiException as exc:
        if exc.status == 404:
            return DeleteResult(0, (), 0, 0, crd_missing=True)
        raise ApiError(f"listing SparkApplications ({sel}): HTTP {exc.status} {exc.reason}") from None
    namespaces = tuple(sorted(Counter(a["metadata"]["namespace"] for a in apps)))
    for ns in namespaces:
        _delete_in(custom, ns, sel, [a["metadata"]["name"] for a in apps if a["metadata"]["namespace"] == ns])
    remaining = _wait_gone(custom, sel, timeout, poll) if apps else 0
    pods = _sweep_pods(k8s.CoreV1Api(api), sel) if not remaining else 0
    return DeleteResult(len(apps), namespaces, remaining, pods)


def _list_apps(custom: k8s.CustomObjectsApi, sel: str) -> list[dict[str, Any]]:
    return list_items(custom.list_cluster_custom_object, GROUP, VERSION, PLURAL, label_selector=sel)


def _delete_in(custom: k8s.CustomObjectsApi, ns: str, sel: str, names: list[str]) -> None:
    try:
        retrying(custom.delete_collection_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, label_selector=sel)
        return
    except ApiException as exc:
        if exc.status not in (404, 405):
            raise ApiError(f"deleting SparkApplications in {ns} ({sel}): HTTP {exc.status} {exc.reason}") from None
    for name in names:  # the API server does not offer deletecollection here: one by one
        try:
            retrying(custom.delete_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, name)
        except ApiException as exc:
            if exc.status != 404:
                raise ApiError(f"deleting SparkApplication {ns}/{name}: HTTP {exc.status} {exc.reason}") from None


def _wait_gone(custom: k8s.CustomObjectsApi, sel: str, timeout: float, poll: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        left = len(_list_apps(custom, sel))
        if left == 0 or time.monotonic() >= deadline:
            return left
        time.sleep(poll)


def _sweep_pods(core: k8s.CoreV1Api, sel: str) -> int:
    """Pods of deleted apps normally go with them (owner references); delete any left by label."""
    try:
        pods = list_items(core.list_pod_for_all_namespaces, label_selector=sel)
    except ApiException as exc:
        raise ApiError(f"listing pods ({sel}): HTTP {exc.status} {exc.reason}") from None
    pods = [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]
    for ns in sorted({p["metadata"]["namespace"] for p in pods}):
        try:
            retrying(core.delete_collection_namespaced_pod, ns, label_selector=sel)
        except ApiException as exc:
            if exc.status not in (404, 405):
                raise ApiError(f"deleting pods in {ns} ({sel}): HTTP {exc.status} {exc.reason}") from None
            for p in (p for p in pods if p["metadata"]["namespace"] == ns):
                _delete_pod(core, ns, p["metadata"]["name"])
    return len(pods)


def _delete_pod(core: k8s.CoreV1Api, ns: str, name: str) -> None:
    try:
        retrying(core.delete_namespaced_pod, name, ns)
    except ApiException as exc:
        if exc.status != 404:
            raise ApiError(f"deleting pod {ns}/{name}: HTTP {exc.status} {exc.reason}") from None
