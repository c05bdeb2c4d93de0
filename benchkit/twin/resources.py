"""The resource types the twin serves, and the discovery documents that describe them to clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SPARK_GROUP = "sparkoperator.k8s.io"
SPARK_VERSION = "v1beta2"
KUBE_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-benchkit-twin",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}
_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
_READ_ONLY_VERBS = ["get", "list", "watch"]


@dataclass(frozen=True)
class ResourceType:
    plural: str
    singular: str
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    writable: bool = True
    """False for the cluster's own objects that the API only reads (DaemonSets)."""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def qualified(self) -> str:
        """The name apiserver metrics use: `pods`, `sparkapplications.sparkoperator.k8s.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def base_path(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"


NAMESPACES = ResourceType("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",))
NODES = ResourceType("nodes", "node", "Node", "", "v1", False, ("no",))
PODS = ResourceType("pods", "pod", "Pod", "", "v1", True, ("po",), ("all",))
CONFIGMAPS = ResourceType("configmaps", "configmap", "ConfigMap", "", "v1", True, ("cm",))
SERVICEACCOUNTS = ResourceType("serviceaccounts", "serviceaccount", "ServiceAccount", "", "v1", True, ("sa",))
SPARK_APPS = ResourceType(
    "sparkapplications",
    "sparkapplication",
    "SparkApplication",
    SPARK_GROUP,
    SPARK_VERSION,
    True,
    ("sparkapp",),
    ("all",),
)
APPS_GROUP = "apps"
DAEMONSETS = ResourceType("daemonsets", "daemonset", "DaemonSet", APPS_GROUP, "v1", True, ("ds",), ("all",), False)
"""Read-only: the cluster's own DaemonSets (benchkit/twin/daemonsets.py)."""
ALL = (NAMESPACES, NODES, PODS, CONFIGMAPS, SERVICEACCOUNTS, SPARK_APPS, DAEMONSETS)
CORE = {r.plural: r for r in ALL if not r.group}
SPARK = {r.plural: r for r in ALL if r.group == SPARK_GROUP}
APPS = {r.plural: r for r in ALL if r.group == APPS_GROUP}


def _resource_entry(r: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": _VERBS if r.writable else _READ_ONLY_VERBS,
        "shortNames": list(r.short_names),
        "storageVersionHash": "",
    }
    if r.categories:
        entry["categories"] = list(r.categories)
    return entry


def _status_entry(r: ResourceType) -> dict[str, Any]:
    return {
        "name": f"{r.plural}/status",
        "singularName": "",
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": ["get"],
    }


def resource_list(group_version: str, resources: list[ResourceType]) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for r in resources:
        entries.append(_resource_entry(r))
        if r.plural in ("pods", "sparkapplications", "nodes", "namespaces", "daemonsets"):
            entries.append(_status_entry(r))
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries}


def core_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


_GROUPS = {APPS_GROUP: "v1", SPARK_GROUP: SPARK_VERSION}


def group_list() -> dict[str, Any]:
    groups = [group(name) for name in _GROUPS]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{k: g[k] for k in ("name", "versions",
            "preferredVersion")} for g in groups if g is not None]}  # fmt: skip


def group(name: str) -> dict[str, Any] | None:
    if name not in _GROUPS:
        return None
    version = {"groupVersion": f"{name}/{_GROUPS[name]}", "version": _GROUPS[name]}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": [version], "preferredVersion": version}


def group_resources(group_name: str, version: str) -> list[ResourceType] | None:
    """The resources of /apis/<group>/<version>, or None when the twin does not serve it."""
    if _GROUPS.get(group_name) != version:
        return None
    return [r for r in ALL if r.group == group_name]


def lookup(group_name: str, version: str, plural: str) -> ResourceType | None:
    """The resource served at /api/v1/<plural> or /apis/<group>/<version>/<plural>."""
    if group_name == "" and version == "v1":
        return CORE.get(plural)
    if group_name == SPARK_GROUP and version == SPARK_VERSION:
        return SPARK.get(plural)
    if group_name == APPS_GROUP and version == "v1":
        return APPS.get(plural)
    return None
