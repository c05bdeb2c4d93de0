"""Read-only facts about the target cluster: preflight checks and what the manifest records."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kubernetes import client

from benchkit.errors import ApiError, ConfigError
from benchkit.kube import labels, rest

SPARK_API = "/apis/sparkoperator.k8s.io/v1beta2"
TIMEOUT = (10.0, 30.0)
OPERATOR_SELECTORS = ("app.kubernetes.io/name=spark-operator",)
"""How the spark-operator chart labels its controller Deployment."""


def check_namespaces(api: client.ApiClient, namespaces: tuple[str, ...], server: str) -> None:
    """ConfigError naming the first namespace that does not exist (403: cannot tell, so go on)."""
    for ns in namespaces:
        try:
            rest.call(api, "GET", f"/api/v1/namespaces/{ns}", timeout=TIMEOUT)
        except client.ApiException as exc:
            if exc.status == 404:
                raise ConfigError(f"spark-namespaces: namespace {ns!r} does not exist on {server}") from None
            if exc.status not in (401, 403):
                raise ApiError(f"reading namespace {ns!r} on {server}: HTTP {exc.status} {exc.reason}") from None
        except rest.TransportError as exc:
            raise ApiError(f"cannot reach the API server at {server}: {exc}") from None


def check_crd(api: client.ApiClient, server: str) -> None:
    """ConfigError when the SparkApplication API (the operator's CRD) is not served."""
    try:
        rest.call(api, "GET", SPARK_API, timeout=TIMEOUT)
    except client.ApiException as exc:
        if exc.status == 404:
            raise ConfigError(f"{server} does not serve {SPARK_API}: is the Spark Operator installed?") from None
        if exc.status not in (401, 403):
            raise ApiError(f"reading {SPARK_API} on {server}: HTTP {exc.status} {exc.reason}") from None
    except rest.TransportError as exc:
        raise ApiError(f"cannot reach the API server at {server}: {exc}") from None


def server_version(api: client.ApiClient) -> dict[str, Any] | None:
    body = _optional(api, "/version")
    return body if isinstance(body, dict) else None


def node_counts(api: client.ApiClient) -> dict[str, dict[str, int]] | None:
    """Nodes by NodeGroupType label ("unlabelled" when absent): total and Ready."""
    body = _optional(api, "/api/v1/nodes")
    if body is None:
        return None
    total: Counter[str] = Counter()
    ready: Counter[str] = Counter()
    for node in body.get("items") or []:
        group = ((node.get("metadata") or {}).get("labels") or {}).get(labels.NODE_GROUP_TYPE, "unlabelled")
        total[group] += 1
        conditions = (node.get("status") or {}).get("conditions") or []
        ready[group] += any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return {g: {"nodes": total[g], "ready": ready[g]} for g in sorted(total)}


def operator_deployments(api: client.ApiClient) -> list[dict[str, Any]] | None:
    """Image and args of the Spark Operator's Deployment(s) when visible; None when the API does not serve them."""
    for selector in OPERATOR_SELECTORS:
        body = _optional(api, "/apis/apps/v1/deployments", query=[("labelSelector", selector)])
        if body is None:
            return None
        found = []
        for dep in body.get("items") or []:
            meta = dep.get("metadata") or {}
            pod_spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
            containers = [{"name": c.get("name"), "image": c.get("image"), "args": c.get("args") or []}
                          for c in pod_spec.get("containers") or []]  # fmt: skip
            found.append({"namespace": meta.get("namespace"), "name": meta.get("name"),
                          "replicas": (dep.get("spec") or {}).get("replicas"), "containers": containers})  # fmt: skip
        if found:
            return found
    return []


def _optional(api: client.ApiClient, path: str, query: rest.Query | None = None) -> Any:
    """GET that returns None when the server does not serve it or we may not read it (never an error)."""
    try:
        return rest.call(api, "GET", path, query=query, timeout=TIMEOUT)
    except (client.ApiException, rest.TransportError):
        return None
