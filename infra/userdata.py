"""Launch-template user data for EKS managed nodes on the EKS-optimized AL2023 AMI (pure, no Pulumi).

With a launch template that names no image id, EKS keeps its own AMI and bootstrap and merges the
template's user data with its own; that user data must be MIME multipart. nodeadm reads every
`application/node.eks.aws` part as a NodeConfig and merges them (awslabs/amazon-eks-ami v20260724,
nodeadm/test/e2e/cases/mime-userdata-merge: two parts, kubelet.config keys of both end up in the
kubelet's drop-in 40-nodeadm.conf). The published kit does the same through terraform's
`cloudinit_pre_nodeadm` (awslabs/data-on-eks, spark-on-eks).
"""

from __future__ import annotations

import base64
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart

NODEADM_CONTENT_TYPE = "application/node.eks.aws"
NODECONFIG_API_VERSION = "node.eks.aws/v1alpha1"


def nodeconfig_max_pods(max_pods: int) -> str:
    """A NodeConfig that sets only the kubelet's maxPods."""
    return (
        "---\n"
        f"apiVersion: {NODECONFIG_API_VERSION}\n"
        "kind: NodeConfig\n"
        "spec:\n"
        "  kubelet:\n"
        "    config:\n"
        f"      maxPods: {max_pods}\n"
    )


def mime_user_data(nodeconfig: str) -> str:
    """One-part MIME multipart document carrying `nodeconfig` as application/node.eks.aws."""
    doc = MIMEMultipart("mixed", boundary="BENCHKIT")
    maintype, subtype = NODEADM_CONTENT_TYPE.split("/")
    part = MIMENonMultipart(maintype, subtype)
    part.set_payload(nodeconfig)
    doc.attach(part)
    return doc.as_string()


def max_pods_user_data_b64(max_pods: int) -> str:
    """What a launch template's `user_data` takes (base64 of the MIME document)."""
    return base64.b64encode(mime_user_data(nodeconfig_max_pods(max_pods)).encode()).decode()
