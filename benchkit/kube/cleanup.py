"""Delete one run's objects by its run-id label, and verify that none remain.

Never "everything in the namespace": every call carries the `benchkit.io/run-id=<run>` selector.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from kubernetes import client

from benchkit.errors import ApiError
from benchkit.kube import labels, rest

SPARK_APPS = "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications"
PODS = "/api/v1/namespaces/{ns}/pods"
TIMEOUT = (10.0, 120.0)
VERIFY_S = 90.0
"""How long to wait for the operator / garbage collector to remove the pods of deleted apps."""
POLL_S = 0.5


def count(api: client.ApiClient, run_id: str, namespaces: Iterable[str]) -> dict[str, int]:
    """How many SparkApplications and pods of the run exist now."""
    with _api_errors(f"counting the objects of run {run_id}"):
        return _count(api, run_id, namespaces)


def delete_run(api: client.ApiClient, run_id: str, namespaces: Iterable[str], *,
               verify_s: float = VERIFY_S) -> tuple[int, int]:  # fmt: skip
    """Delete the run's apps (their pods follow by owner reference), then any pod left; (deleted, remaining).

    Raises ApiError when the API server refuses or stops answering (after rest's retries).
    """
    namespaces = tuple(namespaces)
    with _api_errors(f"cleanup of run {run_id}"):
        return _delete_and_verify(api, run_id, namespaces, verify_s)


def _delete_and_verify(api: client.ApiClient, run_id: str, namespaces: tuple[str, ...],
                       verify_s: float) -> tuple[int, int]:  # fmt: skip
    selector = labels.run_selector(run_id)
    deleted = sum(_delete_all(api, SPARK_APPS.format(ns=ns), selector) for ns in namespaces)
    deadline = time.monotonic() + verify_s
    forced_pods = False
    while True:
        left = _count(api, run_id, namespaces)
        remaining = left["sparkapplications"] + left["pods"]
        if remaining == 0 or time.monotonic() > deadline:
            return deleted, remaining
        if time.monotonic() > deadline - verify_s / 2 and not forced_pods:
            # the garbage collector is slow (or absent): delete the run's pods directly, by label
            forced_pods = True
            deleted += sum(_delete_all(api, PODS.format(ns=ns), selector) for ns in namespaces)
            deleted += sum(_delete_all(api, SPARK_APPS.format(ns=ns), selector) for ns in namespaces)
        time.sleep(POLL_S)


def _count(api: client.ApiClient, run_id: str, namespaces: Iterable[str]) -> dict[str, int]:
    selector = labels.run_selector(run_id)
    out = {"sparkapplications": 0, "pods": 0}
    for ns in namespaces:
        out["sparkapplications"] += len(_names(api, SPARK_APPS.format(ns=ns), selector))
        out["pods"] += len(_names(api, PODS.format(ns=ns), selector))
    return out


def _delete_all(api: client.ApiClient, path: str, selector: str) -> int:
    """DELETE each object of the collection matching the selector; returns how many were deleted."""
    deleted = 0
    for name in _names(api, path, selector):
        try:
            rest.call_retrying(api, "DELETE", f"{path}/{name}", body={"propagationPolicy": "Background"},
                               timeout=TIMEOUT)  # fmt: skip
            deleted += 1
        except client.ApiException as exc:
            if exc.status != 404:
                raise
    return deleted


def _names(api: client.ApiClient, path: str, selector: str) -> list[str]:
    names: list[str] = []
    token: str | None = None
    while True:
        query: rest.Query = [("labelSelector", selector), ("limit", 500)]
        if token:
            query.append(("continue", token))
        body = rest.call_retrying(api, "GET", path, query=query, timeout=TIMEOUT) or {}
        names += [str((i.get("metadata") or {}).get("name")) for i in body.get("items") or []]
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return names


@contextmanager
def _api_errors(doing: str) -> Iterator[None]:
    """The client's ApiException (multi-line) and rest's TransportError as one-line ApiErrors naming the action."""
    try:
        yield
    except client.ApiException as exc:
        raise ApiError(f"{doing}: HTTP {exc.status} {exc.reason}") from None
    except rest.TransportError as exc:
        raise ApiError(f"{doing}: no answer from the API server: {exc}") from None
