"""The four managed node groups (core, operator, monitoring, bench), their launch templates and IAM node role.

Each group gets its own launch template with **no image id**: EKS keeps the EKS-optimized AL2023 AMI of
the group's `amiType` and release version, merges its own bootstrap (and its labels such as
`eks.amazonaws.com/nodegroup`) with the template's user data, and the template adds IMDSv2 and the root
volume. Groups that need kubelet settings (bench: maxPods) carry one NodeConfig part in that user data.
(pulumi-eks' own `nodeadmExtraOptions` would instead pin an AMI id in its template: the custom-AMI path,
on which EKS merges nothing; pulumi/pulumi-eks v4.3.0 nodejs/eks/nodes/nodegroup.ts,
createMNGCustomLaunchTemplate.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from infra import roles, userdata
from infra.naming import type_token

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",  # shell access through Session Manager, no SSH keys
)
AMI_TYPE = "AL2023_x86_64_STANDARD"  # every allowed instance type is x86_64 (infra/instances.py)
ROOT_DEVICE = "/dev/xvda"  # the AL2023 AMI's root device
IMDS_HOP_LIMIT = 2  # pods reach IMDS through one more hop (the node's network namespace)


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


class NodeGroups(pulumi.ComponentResource):
    """AL2023 managed node groups with IMDSv2 required, each labelled and tainted for its role."""

    groups: Mapping[str, eks.ManagedNodeGroup]
    launch_templates: Mapping[str, aws.ec2.LaunchTemplate]
    node_role: aws.iam.Role
    policy_attachments: list[aws.iam.RolePolicyAttachment]

    def __init__(self, name: str, args: NodeGroupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("NodeGroups"), name, None, opts)
        self.node_role, self.policy_attachments = self._create_node_role(name, args.tags)
        self.launch_templates = {spec.role: self._create_launch_template(name, spec) for spec in args.specs}
        self.groups = {spec.role: self._create_group(name, args, spec) for spec in args.specs}
        self.register_outputs({"nodeGroupNames": {s.role: s.node_group_name for s in args.specs}})

    def _create_node_role(
        self, name: str, tags: dict[str, str]
    ) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        child = pulumi.ResourceOptions(parent=self)
        assume = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
            ],
        }
        role = aws.iam.Role(f"{name}-node-role", assume_role_policy=json.dumps(assume), tags=tags, opts=child)
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=role.name,
                policy_arn=f"arn:aws:iam::aws:policy/{policy}",
                opts=child,
            )
            for policy in NODE_POLICIES
        ]
        return role, attachments

    def _create_launch_template(self, name: str, spec: NodeGroupSpec) -> aws.ec2.LaunchTemplate:
        """IMDSv2 and the root volume for every group; the NodeConfig part only where kubelet settings differ."""
        user_data = None if spec.max_pods is None else userdata.max_pods_user_data_b64(spec.max_pods)
        return aws.ec2.LaunchTemplate(
            f"{name}-{spec.role}-lt",
            user_data=user_data,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=IMDS_HOP_LIMIT
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=spec.disk_gib, volume_type="gp3", delete_on_termination="true"
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_group(self, name: str, args: NodeGroupsArgs, spec: NodeGroupSpec) -> eks.ManagedNodeGroup:
        place = roles.PLACEMENTS[spec.role]
        taints = None  # none is EKS's default: only tainted roles pass the input
        if place.taint_key is not None:
            taints = [
                aws.eks.NodeGroupTaintArgs(key=place.taint_key, value=roles.TAINT_VALUE, effect=roles.TAINT_EFFECT)
            ]
        template = self.launch_templates[spec.role]
        return eks.ManagedNodeGroup(
            f"{name}-{spec.role}",
            cluster=args.cluster,
            node_group_name=spec.node_group_name,
            node_role=self.node_role,
            ami_type=AMI_TYPE,
            instance_types=[spec.instance_type],
            subnet_ids=list(spec.subnet_ids),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=spec.min_size, desired_size=spec.desired_size, max_size=spec.max_size
            ),
            # benchkit scales the bench group between runs; the next `pulumi up` must not undo that.
            ignore_scaling_changes=spec.ignore_scaling_changes,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels=place.node_selector,
            taints=taints,
            tags={**args.tags, "benchkit.io/node-group-role": spec.role},
            # the node role's policies exist before nodes join and outlive them on destroy
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.cluster, args.vpc_cni, *self.policy_attachments]),
        )
