"""Read a benchmark stack's outputs with `pulumi stack output --json --show-secrets`.

The output keys are the contract with `infra/outputs.py` (a contract test keeps them equal).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from benchkit.errors import ConfigError

# Output keys, as infra exports them.
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
REQUIRED = (CLUSTER_NAME, REGION, KUBECONFIG, NODE_GROUPS)
ALL_KEYS = (*REQUIRED, SPARK_NAMESPACES, GRAFANA_PORT_FORWARD, GRAFANA_PASSWORD, PROMETHEUS_SERVICE,
            LEASE_PARAMETER, INSTANCE_TYPES, STACK_SHAPE)  # fmt: skip


@dataclass(frozen=True)
class StackOutputs:
    """What benchkit needs to know about a deployed stack."""

    stack: str
    cluster_name: str
    region: str
    kubeconfig: dict[str, Any] = field(repr=False)
    node_groups: dict[str, str]
    """role ("core", "operator", "monitoring", "bench") -> EKS node group name."""
    spark_namespaces: tuple[str, ...] = ()
    grafana_port_forward: str | None = None
    prometheus_service: str | None = None
    """"<namespace>/<service>:<port>" of the stack's Prometheus, for a port-forward."""
    lease_parameter: str | None = None
    instance_types: dict[str, str] = field(default_factory=dict)
    """role -> EC2 instance type, for prices."""
    shape: dict[str, Any] = field(default_factory=dict)
    """What infra built (benchMaxPods, nodeGroupBounds, operator, janitor): for `plan` and `doctor`."""


def parse_outputs(stack: str, data: dict[str, Any]) -> StackOutputs:
    """Build StackOutputs from the JSON `pulumi stack output --json` prints."""
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ConfigError(f"stack {stack!r}: outputs lack {', '.join(missing)} (is it a benchkit stack?)")
    kubeconfig = data[KUBECONFIG]
    if isinstance(kubeconfig, str):
        try:
            kubeconfig = json.loads(kubeconfig)
        except json.JSONDecodeError:
            raise ConfigError(f"stack {stack!r}: output {KUBECONFIG} is not JSON") from None
    return StackOutputs(
        stack=stack,
        cluster_name=str(data[CLUSTER_NAME]),
        region=str(data[REGION]),
        kubeconfig=kubeconfig,
        node_groups={str(k): str(v) for k, v in dict(data[NODE_GROUPS]).items()},
        spark_namespaces=tuple(data.get(SPARK_NAMESPACES) or ()),
        grafana_port_forward=data.get(GRAFANA_PORT_FORWARD),
        prometheus_service=data.get(PROMETHEUS_SERVICE),
        lease_parameter=data.get(LEASE_PARAMETER),
        instance_types={str(k): str(v) for k, v in dict(data.get(INSTANCE_TYPES) or {}).items()},
        shape=dict(data.get(STACK_SHAPE) or {}),
    )


def read_stack_outputs(stack: str, cwd: str | None = None) -> StackOutputs:
    """Run the Pulumi CLI for the stack's outputs (secrets included: the kubeconfig is one)."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise ConfigError("--stack needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/install/)")
    proc = subprocess.run(
        [pulumi, "stack", "output", "--json", "--show-secrets", "--stack", stack],
        capture_output=True, text=True, cwd=cwd, check=False, timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"pulumi stack output --stack {stack} failed: {detail}")
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise ConfigError(f"pulumi stack output --stack {stack} did not print JSON") from None
    return parse_outputs(stack, data)
