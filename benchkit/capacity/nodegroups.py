"""Scale an EKS managed node group (`eks:UpdateNodegroupConfig`) and wait for its nodes in Kubernetes.

Scaling up pins minSize to the new size (seed 002's "set min and desired to 200") so nothing scales the
group down mid-run; scaling to zero sets min 0 / desired 0. maxSize is never changed: asking for more
than the group's max is bad input.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from benchkit.capacity import aws, readiness
from benchkit.capacity.readiness import GroupState
from benchkit.errors import ConfigError
from benchkit.kube.rest import ApiClient

SCALE_TIMEOUT_S = 1200.0
"""Default wait for a scale-up: 200 nodes of a managed node group usually join within 5-10 minutes."""


@dataclass(frozen=True)
class NodeGroupRef:
    """An EKS managed node group: cluster, region, name; `role` is the stack's name for it ("bench", ...)."""

    cluster: str
    region: str
    name: str
    role: str | None = None

    def __str__(self) -> str:
        return f"{self.role or self.name} ({self.cluster}/{self.name})" if self.role else f"{self.cluster}/{self.name}"


@dataclass(frozen=True)
class GroupSize:
    """A node group's scalingConfig and what EKS says about it."""

    min: int
    desired: int
    max: int
    status: str
    instance_types: tuple[str, ...]

    @property
    def at_zero(self) -> bool:
        return self.min == 0 and self.desired == 0


@dataclass(frozen=True)
class ScaleResult:
    ref: NodeGroupRef
    before: GroupSize
    after: GroupSize
    changed: bool
    state: GroupState | None
    """The last Kubernetes observation when waited for."""
    waited_s: float


def scaling_config(ref: NodeGroupRef, current: GroupSize, to: int, *, pin_min: bool = True) -> dict[str, int]:
    """Pure: the scalingConfig that takes the group to `to` nodes. ConfigError when `to` is out of range."""
    if to < 0:
        raise ConfigError(f"node group {ref}: size must be >= 0, got {to}")
    if to > current.max:
        raise ConfigError(
            f"node group {ref}: {to} nodes exceeds its maxSize {current.max} (raise it in the stack config)"
        )
    low = to if pin_min else min(current.min, to)
    return {"minSize": low, "desiredSize": to}


class NodeGroups:
    """EKS node-group calls for one region."""

    def __init__(self, region: str, eks: Any = None) -> None:
        self.region = region
        self._eks = eks if eks is not None else aws.client("eks", region)

    def describe(self, ref: NodeGroupRef) -> GroupSize:
        try:
            group = self._eks.describe_nodegroup(clusterName=ref.cluster, nodegroupName=ref.name)["nodegroup"]
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, f"describing node group {ref}") from None
        sc = group.get("scalingConfig") or {}
        return GroupSize(min=int(sc.get("minSize", 0)), desired=int(sc.get("desiredSize", 0)),
                         max=int(sc.get("maxSize", 0)), status=str(group.get("status", "")),
                         instance_types=tuple(group.get("instanceTypes") or ()))  # fmt: skip

    def find_by_label(self, cluster: str, key: str) -> dict[str, str]:
        """{node group name: value of its Kubernetes label `key`} for the cluster's groups that have it."""
        try:
            self._eks.describe_cluster(name=cluster)  # a clear "not found" before listing
            names = [n for page in self._eks.get_paginator("list_nodegroups").paginate(clusterName=cluster)
                     for n in page.get("nodegroups", [])]  # fmt: skip
            found = {}
            for name in names:
                group = self._eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
                value = (group.get("labels") or {}).get(key)
                if value is not None:
                    found[name] = str(value)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, f"listing node groups of {cluster}") from None
        return found

    def set_size(self, ref: NodeGroupRef, to: int, *, pin_min: bool = True) -> tuple[GroupSize, GroupSize, bool]:
        """Update the scalingConfig if it differs. Returns (before, after, changed)."""
        before = self.describe(ref)
        wanted = scaling_config(ref, before, to, pin_min=pin_min)
        if (before.min, before.desired) == (wanted["minSize"], wanted["desiredSize"]):
            return before, before, False
        try:
            self._eks.update_nodegroup_config(clusterName=ref.cluster, nodegroupName=ref.name, scalingConfig=wanted)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, f"scaling node group {ref} to {to}") from None
        after = GroupSize(wanted["minSize"], wanted["desiredSize"], before.max, before.status, before.instance_types)
        return before, after, True


def scale(
    ref: NodeGroupRef,
    to: int,
    *,
    groups: NodeGroups | None = None,
    kube: ApiClient | None = None,
    wait: bool = False,
    timeout: float = SCALE_TIMEOUT_S,
    poll: float = readiness.POLL_S,
    pin_min: bool = True,
    on_progress: Callable[[GroupState, float], None] | None = None,
    on_updated: Callable[[GroupSize, GroupSize, bool], None] | None = None,
) -> ScaleResult:
    """Set the group's size, then (with `wait`) block until Kubernetes shows exactly `to` complete nodes.

    >>> scale(NodeGroupRef("bench-cluster", "us-west-2", "bench-ng", "bench"), 200, kube=api, wait=True)
    """
    if wait and kube is None:
        raise ConfigError("waiting for nodes needs a Kubernetes connection (--kubeconfig or --stack)")
    groups = groups or NodeGroups(ref.region)
    before, after, changed = groups.set_size(ref, to, pin_min=pin_min)
    if on_updated is not None:
        on_updated(before, after, changed)
    start = time.monotonic()
    state = None
    if wait and kube is not None:
        state = readiness.wait_for(kube, ref.name, to, timeout=timeout, poll=poll, on_progress=on_progress)
    return ScaleResult(ref, before, after, changed, state, time.monotonic() - start)
