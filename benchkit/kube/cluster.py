"""Read-only facts about the target cluster: preflight checks and what the manifest records."""

from __future__ import annotations

from collections import Counter
from typing import Any

from benchkit.errors import ApiError, ConfigError, StatusError
from benchkit.kube import labels, rest

SPARK_API = "/apis/sparkoperator.k8s.io/v1beta2"
TIMEOUT = (10.0, 30.0)
OPERATOR_SELECTORS = ("app.kubernetes.io/name=spark-operator",)
"""How the spark-operator chart labels its controller Deployment."""
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
WORKER_FLAGS = ("controller-threads", "workers")
"""Chart 2.x: `--controller-threads`; 1.x: `-controller-threads`; `--workers` in some forks."""
WEBHOOK_FLAGS = ("enable-webhook",)
"""Chart 1.x ran the webhook inside the controller (`-enable-webhook=true`); 2.x deploys it separately."""


def check_namespaces(api: rest.ApiClient, namespaces: tuple[str, ...], server: str) -> None:
    """ConfigError naming the first namespace that does not exist (403: cannot tell, so go on)."""
    for ns in namespaces:
        try:
            rest.call_retrying(api, "GET", f"/api/v1/namespaces/{ns}", timeout=TIMEOUT)
        except StatusError as exc:
            if exc.status == 404:
                raise ConfigError(f"spark-namespaces: namespace {ns!r} does not exist on {server}") from None
            if exc.status not in (401, 403):
                raise ApiError(f"reading namespace {ns!r} on {server}: HTTP {exc.status} {exc.reason}") from None
        except rest.TransportError as exc:
            raise ApiError(f"cannot reach the API server at {server}: {exc}") from None


def check_crd(api: rest.ApiClient, server: str) -> None:
    """ConfigError when the SparkApplication API (the operator's CRD) is not served."""
    try:
        rest.call_retrying(api, "GET", SPARK_API, timeout=TIMEOUT)
    except StatusError as exc:
        if exc.status == 404:
            raise ConfigError(f"{server} does not serve {SPARK_API}: is the Spark Operator installed?") from None
        if exc.status not in (401, 403):
            raise ApiError(f"reading {SPARK_API} on {server}: HTTP {exc.status} {exc.reason}") from None
    except rest.TransportError as exc:
        raise ApiError(f"cannot reach the API server at {server}: {exc}") from None


def server_version(api: rest.ApiClient) -> dict[str, Any] | None:
    body = _optional(api, "/version")
    return body if isinstance(body, dict) else None


def node_counts(api: rest.ApiClient) -> dict[str, dict[str, Any]] | None:
    """Nodes by NodeGroupType label ("unlabelled" when absent): total, Ready and instance types."""
    body = _optional(api, "/api/v1/nodes")
    return None if body is None else group_nodes(body.get("items") or [])


def group_nodes(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{group: {nodes, ready, instance_types}}; instance_types is one comma-joined string, so a diff names it."""
    total: Counter[str] = Counter()
    ready: Counter[str] = Counter()
    types: dict[str, set[str]] = {}
    for node in nodes:
        node_labels = (node.get("metadata") or {}).get("labels") or {}
        group = node_labels.get(labels.NODE_GROUP_TYPE, "unlabelled")
        total[group] += 1
        conditions = (node.get("status") or {}).get("conditions") or []
        ready[group] += any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        types.setdefault(group, set()).add(node_labels.get(INSTANCE_TYPE_LABEL, "unknown"))
    return {g: {"nodes": total[g], "ready": ready[g], "instance_types": ",".join(sorted(types[g]))}
            for g in sorted(total)}  # fmt: skip


def operator_deployments(api: rest.ApiClient) -> dict[str, Any] | None:
    """The Spark Operator's setup (see `describe_operator`); None when the API does not serve Deployments."""
    for selector in OPERATOR_SELECTORS:
        body = _optional(api, "/apis/apps/v1/deployments", query=[("labelSelector", selector)])
        if body is None:
            return None
        if body.get("items"):
            return describe_operator(body["items"])
    return describe_operator([])


def describe_operator(deployments: list[dict[str, Any]]) -> dict[str, Any]:
    """Scalars a comparison can name (chart, image tag, controller workers, webhook) and each Deployment.

    The chart labels its Deployments `app.kubernetes.io/component: controller|webhook` and
    `helm.sh/chart: spark-operator-<version>`, and passes the workers as `--controller-threads=N`.
    """
    found = [_deployment(d) for d in deployments]
    controller = next((d for d in found if d["component"] == "controller"), None)
    controller = controller or next((d for d in found if d["component"] != "webhook"), None)
    main = ((controller or {}).get("containers") or [{}])[0]
    args = main.get("args") or []
    webhook_deployed = any(d["component"] == "webhook" and d["replicas"] != 0 for d in found)
    return {
        "chart": (controller or {}).get("chart"),
        "image": main.get("image"),
        "image_tag": _image_tag(main.get("image")),
        "controller_replicas": (controller or {}).get("replicas"),
        "controller_workers": _flag(args, WORKER_FLAGS),
        "webhook": webhook_deployed or _flag(args, WEBHOOK_FLAGS) == "true",
        "deployments": found,
    }


def _deployment(dep: dict[str, Any]) -> dict[str, Any]:
    meta = dep.get("metadata") or {}
    dep_labels = meta.get("labels") or {}
    pod_spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    component = dep_labels.get("app.kubernetes.io/component") or (
        "webhook" if str(meta.get("name", "")).endswith("webhook") else "controller"
    )
    return {"name": meta.get("name"), "namespace": meta.get("namespace"), "component": component,
            "chart": dep_labels.get("helm.sh/chart"), "replicas": (dep.get("spec") or {}).get("replicas"),
            "containers": [{"name": c.get("name"), "image": c.get("image"), "args": c.get("args") or []}
                           for c in pod_spec.get("containers") or []]}  # fmt: skip


def _flag(args: list[str], names: tuple[str, ...]) -> Any:
    """The value of the first of `names` in `args` (`--x=3`, `-x=3` or `--x 3`), as an int when it is one."""
    for i, arg in enumerate(args):
        key, eq, value = str(arg).lstrip("-").partition("=")
        if key in names and str(arg).startswith("-"):
            if not eq:
                following = str(args[i + 1]) if i + 1 < len(args) else "-"
                value = following if not following.startswith("-") else "true"
            return int(value) if value.isdigit() else value
    return None


def _image_tag(image: str | None) -> str | None:
    """`repo/name:tag` -> tag, `repo/name@sha256:...` -> the digest, no tag -> latest."""
    if not image:
        return None
    if "@" in image:
        return image.split("@", 1)[1]
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else "latest"


def _optional(api: rest.ApiClient, path: str, query: rest.Query | None = None) -> Any:
    """GET that returns None when the server does not serve it or we may not read it (never an error)."""
    try:
        return rest.call_retrying(api, "GET", path, query=query, timeout=TIMEOUT)
    except (StatusError, rest.TransportError):
        return None
