"""The four managed node groups (core, operator, monitoring, bench) and their shared IAM node role."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from infra import roles
from infra.naming import type_token

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",  # shell access through Session Manager, no SSH keys
)
NODEADM_CONTENT_TYPE = "application/node.eks.aws"


@dataclass(frozen=True)
class NodeGroupSpec:
    """One managed node group, as the composition root resolved it from settings."""

    role: str
    node_group_name: str
    instance_type: str
    min_size: int
    desired_size: int
    max_size: int
    disk_gib: int
    subnet_ids: Sequence[pulumi.Input[str]]
    max_pods: int | None = None
    ignore_scaling_changes: bool = False


@dataclass(frozen=True)
class NodeGroupsArgs:
    cluster: eks.Cluster
    vpc_cni: pulumi.Resource
    """Every group depends on it: nodes join with prefix delegation already configured."""
    cluster_name: str
    specs: Sequence[NodeGroupSpec]
    tags: dict[str, str]


def nodeadm_max_pods(max_pods: int) -> str:
    """A nodeadm NodeConfig part that sets the kubelet's maxPods (merged after pulumi-eks' base config)."""
    return (
        "---\n"
        "apiVersion: node.eks.aws/v1alpha1\n"
        "kind: NodeConfig\n"
        "spec:\n"
        "  kubelet:\n"
        "    config:\n"
        f"      maxPods: {max_pods}\n"
    )


class NodeGroups(pulumi.ComponentResource):
    """AL2023 managed node groups with IMDSv2 required, each labelled and tainted for its role."""

    groups: Mapping[str, eks.ManagedNodeGroup]
    node_role: aws.iam.Role

    def __init__(self, name: str, args: NodeGroupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("NodeGroups"), name, None, opts)
        self.node_role = self._create_node_role(name, args.tags)
        self.groups = {spec.role: self._create_group(name, args, spec) for spec in args.specs}
        self.register_outputs({"nodeGroupNames": {s.role: s.node_group_name for s in args.specs}})

    def _create_node_role(self, name: str, tags: dict[str, str]) -> aws.iam.Role:
        child = pulumi.ResourceOptions(parent=self)
        assume = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
            ],
        }
        role = aws.iam.Role(f"{name}-node-role", assume_role_policy=json.dumps(assume), tags=tags, opts=child)
        for policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=role.name,
                policy_arn=f"arn:aws:iam::aws:policy/{policy}",
                opts=child,
            )
        return role

    def _create_group(self, name: str, args: NodeGroupsArgs, spec: NodeGroupSpec) -> eks.ManagedNodeGroup:
        place = roles.PLACEMENTS[spec.role]
        taints = []
        if place.taint_key is not None:
            taints = [
                aws.eks.NodeGroupTaintArgs(key=place.taint_key, value=roles.TAINT_VALUE, effect=roles.TAINT_EFFECT)
            ]
        nodeadm = None
        if spec.max_pods is not None:
            nodeadm = [
                eks.NodeadmOptionsArgs(content_type=NODEADM_CONTENT_TYPE, content=nodeadm_max_pods(spec.max_pods))
            ]
        return eks.ManagedNodeGroup(
            f"{name}-{spec.role}",
            cluster=args.cluster,
            node_group_name=spec.node_group_name,
            node_role=self.node_role,
            operating_system=eks.OperatingSystem.AL2023,
            instance_types=[spec.instance_type],
            capacity_type="ON_DEMAND",
            subnet_ids=list(spec.subnet_ids),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=spec.min_size, desired_size=spec.desired_size, max_size=spec.max_size
            ),
            # benchkit scales the bench group between runs; the next `pulumi up` must not undo that.
            ignore_scaling_changes=spec.ignore_scaling_changes,
            disk_size=spec.disk_gib,
            enable_imd_sv2=True,
            labels=place.node_selector,
            taints=taints,
            nodeadm_extra_options=nodeadm,
            tags={**args.tags, "benchkit.io/node-group-role": spec.role},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.cluster, args.vpc_cni]),
        )
