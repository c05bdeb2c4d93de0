"""Stack output keys and the one place that exports them.

The keys are the contract with `benchkit/kube/stack.py` (docs/architecture.md "Stack outputs"); a
contract test keeps the two key sets equal. benchkit reads them with `pulumi stack output --json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

CLUSTER_NAME = "clusterName"
REGION = "region"
KUBECONFIG = "kubeconfig"
NODE_GROUPS = "nodeGroups"
SPARK_NAMESPACES = "sparkNamespaces"
GRAFANA_PORT_FORWARD = "grafanaPortForward"
GRAFANA_PASSWORD = "grafanaAdminPassword"
PROMETHEUS_SERVICE = "prometheusService"
LEASE_PARAMETER = "leaseParameter"
INSTANCE_TYPES = "instanceTypes"
STACK_SHAPE = "stackShape"
"""What the stack was built to be (bench maxPods and bounds, operator sizing, janitor): `plan` simulates it,
`benchkit doctor` compares the live cluster with it."""
ALL_KEYS = (CLUSTER_NAME, REGION, KUBECONFIG, NODE_GROUPS, SPARK_NAMESPACES, GRAFANA_PORT_FORWARD,
            GRAFANA_PASSWORD, PROMETHEUS_SERVICE, LEASE_PARAMETER, INSTANCE_TYPES, STACK_SHAPE)  # fmt: skip
SECRET_KEYS = (KUBECONFIG, GRAFANA_PASSWORD)


def export_all(
    *,
    cluster_name: str,
    region: str,
    kubeconfig: pulumi.Input[str],
    node_groups: Mapping[str, str],
    spark_namespaces: Sequence[str],
    grafana_port_forward: str,
    grafana_password: pulumi.Input[str],
    prometheus_service: str,
    lease_parameter: str | None,
    instance_types: Mapping[str, str],
    stack_shape: Mapping[str, Any],
) -> dict[str, Any]:
    """Export every key (secrets wrapped as secrets) and return what was exported."""
    outputs: dict[str, Any] = {
        CLUSTER_NAME: cluster_name,
        REGION: region,
        KUBECONFIG: pulumi.Output.secret(kubeconfig),
        NODE_GROUPS: dict(node_groups),
        SPARK_NAMESPACES: list(spark_namespaces),
        GRAFANA_PORT_FORWARD: grafana_port_forward,
        GRAFANA_PASSWORD: pulumi.Output.secret(grafana_password),
        PROMETHEUS_SERVICE: prometheus_service,
        LEASE_PARAMETER: lease_parameter,
        INSTANCE_TYPES: dict(instance_types),
        STACK_SHAPE: dict(stack_shape),
    }
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs
