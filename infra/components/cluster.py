"""The EKS control plane (pulumi-eks), its VPC CNI with prefix delegation, and a Kubernetes provider for it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from infra.naming import type_token

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VPC_CNI_ADDON = "vpc-cni"


def vpc_cni_configuration(warm_prefix_target: int) -> str:
    """The vpc-cni addon's configurationValues: a /28 prefix per ENI slot instead of one IP per pod."""
    env = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": str(warm_prefix_target)}
    return json.dumps({"env": env}, sort_keys=True)


@dataclass(frozen=True)
class ClusterArgs:
    cluster_name: str
    kubernetes_version: str
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    public_access_cidrs: Sequence[str]
    admin_principal_arn: str | None
    warm_prefix_target: int
    control_plane_log_types: Sequence[str]
    tags: dict[str, str]


class Cluster(pulumi.ComponentResource):
    """`eks.Cluster` with API authentication and no default node group, and the managed VPC CNI addon.

    The VPC CNI addon (ENABLE_PREFIX_DELEGATION, WARM_PREFIX_TARGET) is created here rather than by
    pulumi-eks, so that node groups can depend on it explicitly (`vpc_cni`): no node joins with the
    one-IP-per-pod default (the ordering bug data-on-eks fixed with `before_compute`).
    """

    eks_cluster: eks.Cluster
    vpc_cni: aws.eks.Addon
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("Cluster"), name, None, opts)
        access_entries = {}
        if args.admin_principal_arn:
            access_entries["admin"] = eks.AccessEntryArgs(
                principal_arn=args.admin_principal_arn,
                access_policies={
                    "admin": eks.AccessPolicyAssociationArgs(
                        policy_arn=CLUSTER_ADMIN_POLICY,
                        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    )
                },
            )
        self.eks_cluster = eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            vpc_id=args.vpc_id,
            public_subnet_ids=list(args.public_subnet_ids),
            private_subnet_ids=list(args.private_subnet_ids),
            node_associate_public_ip_address=False,
            endpoint_public_access=True,
            endpoint_private_access=True,
            public_access_cidrs=list(args.public_access_cidrs),
            skip_default_node_group=True,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries,
            enabled_cluster_log_types=list(args.control_plane_log_types),
            # pulumi-eks adds no VPC CNI addon of its own (it would be a child of eks.Cluster, out of reach of
            # a depends_on): EKS bootstraps the self-managed aws-node, and vpc_cni below adopts it.
            use_default_vpc_cni=True,
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=True),
            # CoreDNS as a managed addon needs nodes (pulumi-eks#1819): ClusterAddons adds it after them.
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.vpc_cni = aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=args.cluster_name,
            addon_name=VPC_CNI_ADDON,
            configuration_values=vpc_cni_configuration(args.warm_prefix_target),
            # OVERWRITE: take over the self-managed aws-node EKS bootstraps; preserve: removing the addon
            # must not delete the DaemonSet every pod's networking runs on.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            preserve=True,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.eks_cluster]),
        )
        self.kubeconfig = self.eks_cluster.kubeconfig_json
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})
