"""Delete benchkit's SparkApplications and pods by label, and verify that none remain: the one delete-by-label.

Never "everything in the namespace": every call carries a label selector (one run's `benchkit.io/run-id`,
or every benchkit run's). Per namespace it is one `deletecollection` with that selector; kube-apiserver
serves it for built-in and custom resources alike (kubernetes/apiserver v0.31.0, v0.32.0 and v0.33.0, the
staging mirror of kubernetes/kubernetes 1.31 to 1.33, pkg/endpoints/handlers/delete.go `DeleteCollection`: list
options from the query, DeleteOptions from the body; kubernetes/apiextensions-apiserver at the same tags,
pkg/apiserver/customresource_handler.go, routes "deletecollection" for CRDs). A server that answers 404 or 405 to the
collection DELETE gets one DELETE per object instead. Every request goes through the one retry policy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchkit.errors import ApiError, StatusError, TransportError
from benchkit.kube import labels, rest

SPARK_APPS = "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications"
SPARK_APPS_ALL = "/apis/sparkoperator.k8s.io/v1beta2/sparkapplications"
PODS = "/api/v1/namespaces/{ns}/pods"
PODS_ALL = "/api/v1/pods"
TIMEOUT = (10.0, 120.0)
VERIFY_S = 300.0
"""How long deleted objects may take to disappear (the operator, the garbage collector, finalizers, a busy
API server) before the caller is told some remain. Pods still there at half of it are deleted by label."""
POLL_S = 0.5
_BACKGROUND = {"propagationPolicy": "Background"}


@dataclass(frozen=True)
class Deleted:
    """What one delete-by-label did."""

    apps: int
    """SparkApplications matching the selector before deletion (all were deleted)."""
    pods: int
    """Labelled pods still there after their apps, deleted directly by label."""
    remaining_apps: int
    remaining_pods: int
    """Still listed when verification ended (0 and 0 when all are gone)."""
    namespaces: tuple[str, ...]
    """Where apps were found."""
    crd_missing: bool = False

    @property
    def deleted(self) -> int:
        return self.apps + self.pods

    @property
    def remaining(self) -> int:
        return self.remaining_apps + self.remaining_pods

    def describe(self) -> str:
        """One line for a person: what was deleted, what remains."""
        if self.crd_missing:
            return "the SparkApplication CRD is not installed: nothing to delete"
        if not self.apps and not self.pods and not self.remaining:
            return "none found"
        text = f"deleted {self.apps} in {', '.join(self.namespaces) or '-'}"
        text += "; none remain" if not self.remaining else f"; {self.remaining} STILL PRESENT"
        if self.pods:
            text += f"; deleted {self.pods} leftover pod(s)"
        return text


def selector(run_id: str | None) -> str:
    """A run's objects, or every benchkit run's."""
    return labels.run_selector(run_id) if run_id else labels.any_run_selector()


def delete_by_label(api: rest.ApiClient, label_selector: str, namespaces: Iterable[str] | None = None, *,
                    verify_s: float = VERIFY_S, poll: float = POLL_S, doing: str | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> Deleted:  # fmt: skip
    """Delete the selected apps (their pods follow by owner reference), wait until they are gone, delete
    pods left behind; `namespaces` None means every namespace.

    Raises ApiError "<doing>: HTTP ..." / "<doing>: no answer from the API server: ..." (after retries).
    """
    scope = None if namespaces is None else tuple(namespaces)
    with _api_errors(doing or f"deleting the objects labelled {label_selector}"):
        try:
            apps = _list(api, SPARK_APPS, SPARK_APPS_ALL, scope, label_selector)
        except StatusError as exc:
            if exc.status == 404:  # the API group is not served: no SparkApplication can exist
                return Deleted(0, 0, 0, 0, (), crd_missing=True)
            raise
        return _delete_and_verify(api, label_selector, scope, apps, verify_s=verify_s, poll=poll, sleep=sleep)


def _delete_and_verify(api: rest.ApiClient, label_selector: str, scope: tuple[str, ...] | None,
                       apps: list[dict[str, Any]], *, verify_s: float, poll: float,
                       sleep: Callable[[float], None]) -> Deleted:  # fmt: skip
    by_ns = _by_namespace(apps)
    for ns, names in by_ns.items():
        _delete_collection(api, SPARK_APPS.format(ns=ns), label_selector, names)
    deadline = time.monotonic() + verify_s
    swept: set[str] = set()  # pods are deleted directly once when the apps are gone, once at half time
    pods_deleted = 0
    while True:
        left_apps = len(_list(api, SPARK_APPS, SPARK_APPS_ALL, scope, label_selector)) if apps else 0
        pods = _list(api, PODS, PODS_ALL, scope, label_selector)
        now = time.monotonic()
        if (left_apps == 0 and not pods) or now >= deadline:
            return Deleted(len(apps), pods_deleted, left_apps, len(pods), tuple(by_ns))
        reason = "apps gone" if left_apps == 0 else "half time" if now >= deadline - verify_s / 2 else None
        live = [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]
        if reason is not None and reason not in swept and live:
            swept.add(reason)
            pods_deleted += len(live)
            for ns, names in _by_namespace(live).items():
                _delete_collection(api, PODS.format(ns=ns), label_selector, names)
        sleep(min(poll, max(0.0, deadline - now)))


def delete_run(api: rest.ApiClient, run_id: str, namespaces: Iterable[str], *,
               verify_s: float = VERIFY_S) -> tuple[int, int]:  # fmt: skip
    """`delete_by_label` for one run in its namespaces; (deleted, remaining) objects.

    Raises ApiError "cleanup of run <id>: ..." when the API server refuses or stops answering.
    """
    done = delete_by_label(api, labels.run_selector(run_id), namespaces, verify_s=verify_s,
                           doing=f"cleanup of run {run_id}")  # fmt: skip
    return done.deleted, done.remaining


def count(api: rest.ApiClient, run_id: str, namespaces: Iterable[str]) -> dict[str, int]:
    """How many SparkApplications and pods of the run exist now."""
    scope, sel = tuple(namespaces), labels.run_selector(run_id)
    with _api_errors(f"counting the objects of run {run_id}"):
        return {"sparkapplications": len(_list(api, SPARK_APPS, SPARK_APPS_ALL, scope, sel)),
                "pods": len(_list(api, PODS, PODS_ALL, scope, sel))}  # fmt: skip


def _list(api: rest.ApiClient, path: str, path_all: str, scope: tuple[str, ...] | None,
          label_selector: str) -> list[dict[str, Any]]:  # fmt: skip
    if scope is None:
        return rest.list_items(api, path_all, selector=label_selector, timeout=TIMEOUT)
    return [i for ns in scope for i in rest.list_items(api, path.format(ns=ns), selector=label_selector,
                                                         timeout=TIMEOUT)]  # fmt: skip


def _by_namespace(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Names by namespace, namespaces sorted."""
    out: dict[str, list[str]] = {}
    for meta in sorted((i.get("metadata") or {} for i in items), key=lambda m: str(m.get("namespace"))):
        out.setdefault(str(meta.get("namespace")), []).append(str(meta.get("name")))
    return out


def _delete_collection(api: rest.ApiClient, path: str, label_selector: str, names: list[str]) -> None:
    """One deletecollection by label; on 404/405 (not served there) one DELETE per listed name (404: gone already)."""
    try:
        rest.call_retrying(api, "DELETE", path, query=[("labelSelector", label_selector)], body=_BACKGROUND,
                           timeout=TIMEOUT)  # fmt: skip
        return
    except StatusError as exc:
        if exc.status not in (404, 405):
            raise
    for name in names:
        try:
            rest.call_retrying(api, "DELETE", f"{path}/{name}", body=_BACKGROUND, timeout=TIMEOUT)
        except StatusError as exc:
            if exc.status != 404:
                raise


@contextmanager
def _api_errors(doing: str) -> Iterator[None]:
    """StatusError and TransportError as one-line ApiErrors naming the action."""
    try:
        yield
    except StatusError as exc:
        raise ApiError(f"{doing}: HTTP {exc.status} {exc.reason}") from None
    except TransportError as exc:
        raise ApiError(f"{doing}: no answer from the API server: {exc}") from None
