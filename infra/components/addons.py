"""Cluster addons that need nodes: CoreDNS, the Pod Identity agent, the EBS CSI driver, a gp3 StorageClass."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.naming import type_token

EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
GP3_STORAGE_CLASS = "gp3"


@dataclass(frozen=True)
class AddonsArgs:
    cluster_name: str
    cluster: pulumi.Resource
    system_nodes: Sequence[pulumi.Resource]
    """The node groups the addons' pods run on: created first, so no addon waits DEGRADED for nodes."""
    provider: k8s.Provider
    tags: dict[str, str]


class ClusterAddons(pulumi.ComponentResource):
    """EKS managed addons created after the system node groups, and the default StorageClass."""

    storage_class_name: str

    def __init__(self, name: str, args: AddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("ClusterAddons"), name, None, opts)
        after_nodes = pulumi.ResourceOptions(parent=self, depends_on=[args.cluster, *args.system_nodes])
        self._addon(name, args, "coredns", after_nodes)
        identity_agent = self._addon(name, args, "eks-pod-identity-agent", after_nodes)
        role = self._create_ebs_csi_role(name, args.tags)
        association = aws.eks.PodIdentityAssociation(
            f"{name}-ebs-csi",
            cluster_name=args.cluster_name,
            namespace="kube-system",
            service_account=EBS_CSI_SERVICE_ACCOUNT,
            role_arn=role.arn,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.cluster]),
        )
        ebs = self._addon(
            name, args, "aws-ebs-csi-driver", pulumi.ResourceOptions.merge(
                after_nodes, pulumi.ResourceOptions(depends_on=[identity_agent, association]))
        )  # fmt: skip
        self.storage_class_name = GP3_STORAGE_CLASS
        # gp3: cheaper than gp2 per GiB with a 3000 IOPS baseline whatever the size (Prometheus' WAL).
        k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=GP3_STORAGE_CLASS, annotations={"storageclass.kubernetes.io/is-default-class": "true"}
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[ebs]),
        )
        self.register_outputs({"storageClass": GP3_STORAGE_CLASS})

    def _addon(self, name: str, args: AddonsArgs, addon: str, opts: pulumi.ResourceOptions) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=args.cluster_name,
            addon_name=addon,
            # EKS bootstraps self-managed CoreDNS; the managed addon adopts it.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=args.tags,
            opts=opts,
        )

    def _create_ebs_csi_role(self, name: str, tags: dict[str, str]) -> aws.iam.Role:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(f"{name}-ebs-csi-role", assume_role_policy=json.dumps(trust), tags=tags, opts=child)
        aws.iam.RolePolicyAttachment(f"{name}-ebs-csi-policy", role=role.name, policy_arn=EBS_CSI_POLICY, opts=child)
        return role
