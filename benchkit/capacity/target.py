"""Which EKS cluster and node groups a capacity command acts on: from a stack's outputs or from flags."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.capacity import regions
from benchkit.capacity.nodegroups import NodeGroupRef, NodeGroups
from benchkit.errors import ConfigError
from benchkit.kube import labels
from benchkit.kube.connect import Target, connect
from benchkit.kube.stack import StackOutputs, read_stack_outputs

ROLES = ("core", "operator", "monitoring", "bench")
TEARDOWN_ROLES = ("bench",)
ALL_GROUP_ROLES = ("bench", "operator", "monitoring")
"""`--all-groups`: the core group stays (it runs CoreDNS, the operator's webhook fallback and Prometheus' agents)."""
ROLE_LABELS = {
    "bench": labels.BENCH_NODE_GROUP,
    "operator": labels.OPERATOR_NODE_GROUP,
    "monitoring": labels.MONITORING_NODE_GROUP,
}
"""The `NodeGroupType` label infra puts on each group's nodes (also on the EKS node group itself)."""


@dataclass(frozen=True)
class AwsTarget:
    """An EKS cluster benchkit may scale: its node groups by role, their instance types, the lease."""

    cluster: str
    region: str
    node_groups: dict[str, str]
    """role -> EKS node group name."""
    instance_types: dict[str, str] = field(default_factory=dict)
    lease_parameter: str | None = None
    stack: str | None = None

    explicit: bool = False
    """The node groups were named on the command line (`--nodegroup`): act on exactly those."""

    def group(self, role: str) -> NodeGroupRef:
        name = self.node_groups.get(role)
        if name is None:
            have = ", ".join(sorted(self.node_groups)) or "none"
            raise ConfigError(f"{self.stack or self.cluster}: no node group {role!r} (have: {have})")
        return NodeGroupRef(self.cluster, self.region, name, None if self.explicit else role)

    def teardown_groups(self, all_groups: bool = False) -> list[NodeGroupRef]:
        """bench (required), plus operator and monitoring when asked and present; named groups as named."""
        if self.explicit:
            return [self.group(role) for role in self.node_groups]
        optional = [r for r in ALL_GROUP_ROLES[1:] if all_groups and r in self.node_groups]
        return [self.group("bench"), *(self.group(r) for r in optional)]


def from_stack(outputs: StackOutputs) -> AwsTarget:
    return AwsTarget(
        cluster=outputs.cluster_name,
        region=outputs.region,
        node_groups=dict(outputs.node_groups),
        instance_types=dict(outputs.instance_types),
        lease_parameter=outputs.lease_parameter,  # None: the stack has no janitor (janitorEnabled false)
        stack=outputs.stack,
    )


def from_cluster(cluster: str, region: str, nodegroups: Iterable[str] = (), *, roles: Iterable[str] = TEARDOWN_ROLES,
                 eks: NodeGroups | None = None) -> AwsTarget:  # fmt: skip
    """Named node groups (each must exist: ConfigError before anything is touched), or (none named) the
    cluster's groups found by their `NodeGroupType` label."""
    names = list(nodegroups)
    groups = eks or NodeGroups(region)
    if names:
        for name in names:
            groups.describe(NodeGroupRef(cluster, region, name))  # a missing cluster or group: exit 2, one line
        return AwsTarget(cluster, region, {n: n for n in names}, explicit=True)
    found = groups.find_by_label(cluster, labels.NODE_GROUP_TYPE)
    by_role = {role: name for role in roles for name, value in found.items() if value == ROLE_LABELS.get(role)}
    if "bench" not in by_role:
        raise ConfigError(
            f"cluster {cluster}: no node group labelled {labels.NODE_GROUP_TYPE}={labels.BENCH_NODE_GROUP}; "
            "name it with --nodegroup"
        )
    return AwsTarget(cluster, region, by_role)


@dataclass(frozen=True)
class Resolved:
    """What a capacity command works with: the AWS side (None: Kubernetes only) and the cluster API."""

    aws: AwsTarget | None
    kube: Target | None


def check_flags(*, stack: str | None, cluster: str | None, region: str | None, nodegroups: Iterable[str],
                kubeconfig: Path | None, context: str | None, need_aws: bool = True) -> None:  # fmt: skip
    """The target flags alone (no call made): ConfigError (exit 2) for combinations that make no sense."""
    names = list(nodegroups)
    if stack is not None and (cluster is not None or region is not None or names):
        raise ConfigError("give either --stack or --cluster/--region/--nodegroup, not both")
    if stack is not None and (kubeconfig is not None or context is not None):
        raise ConfigError("--stack brings its own kubeconfig: drop --kubeconfig/--context")
    if (cluster is None) != (region is None):
        raise ConfigError("--cluster and --region go together")
    if region is not None:
        regions.check(region, "--region")
    if names and cluster is None:
        raise ConfigError("--nodegroup needs --cluster and --region")
    if need_aws and stack is None and cluster is None:
        raise ConfigError("which cluster? give --stack S, or --cluster NAME --region R")


def resolve(
    *,
    stack: str | None = None,
    cluster: str | None = None,
    region: str | None = None,
    nodegroups: Iterable[str] = (),
    kubeconfig: Path | None = None,
    context: str | None = None,
    need_kube: bool = True,
    need_aws: bool = True,
    roles: Iterable[str] = TEARDOWN_ROLES,
) -> Resolved:
    """Validate the target flags (ConfigError, exit 2, before anything is touched) and connect.

    `--stack S` gives both sides; `--cluster C --region R` the AWS side, with Kubernetes only from an
    explicit `--kubeconfig`/`--context` (never a default context that may be another cluster).
    """
    names = list(nodegroups)
    check_flags(stack=stack, cluster=cluster, region=region, nodegroups=names, kubeconfig=kubeconfig,
                context=context, need_aws=need_aws)  # fmt: skip
    if stack is not None:
        outputs = read_stack_outputs(stack)
        return Resolved(from_stack(outputs), connect(stack=outputs) if need_kube else None)
    kube = connect(kubeconfig, context) if (kubeconfig is not None or context is not None) else None
    aws_target = from_cluster(cluster, region, names, roles=roles) if cluster and region else None
    return Resolved(aws_target, kube)
