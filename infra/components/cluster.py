"""The EKS control plane (pulumi-eks), its VPC CNI with prefix delegation, and a Kubernetes provider for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from infra.naming import type_token

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


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
    """`eks.Cluster` with API authentication, no default node group and the managed VPC CNI addon.

    The VPC CNI addon (with ENABLE_PREFIX_DELEGATION and WARM_PREFIX_TARGET) is a child of eks.Cluster,
    so it exists before any node group, which all depend on the cluster: nodes never join with the
    one-IP-per-pod default (the ordering bug data-on-eks fixed with `before_compute`).
    """

    eks_cluster: eks.Cluster
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
            # use_default_vpc_cni stays unset: pulumi-eks then installs VPC CNI as the EKS managed addon.
            vpc_cni_options=eks.VpcCniOptionsArgs(
                enable_prefix_delegation=True, warm_prefix_target=args.warm_prefix_target
            ),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=True),
            # CoreDNS as a managed addon needs nodes (pulumi-eks#1819): ClusterAddons adds it after them.
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.kubeconfig = self.eks_cluster.kubeconfig_json
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})
