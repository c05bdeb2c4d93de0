"""A moto server (EKS clusters + node groups + SSM) on a loopback port, shared by the session.

Resetting moto between tests costs seconds (its backends re-initialise), so each test gets its own
cluster name and lease parameter instead.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

CLUSTER = "bench-cluster"
REGION = "us-west-2"
_COUNTER = itertools.count(1)
ROLE_ARN = "arn:aws:iam::123456789012:role/benchkit-nodes"
# role -> (EKS node group name, instance type, min, desired, max); names match the twin's groups.
GROUPS = {
    "core": ("core", "m5.xlarge", 2, 2, 3),
    "operator": ("operator", "c5.9xlarge", 1, 1, 1),
    "monitoring": ("monitoring", "r6a.2xlarge", 1, 1, 1),
    "bench": ("bench", "m6a.4xlarge", 0, 0, 200),
}
# The NodeGroupType label infra sets on each group (and so on its nodes).
GROUP_LABELS = {"core": "core", "operator": "spark-operator-benchmark", "monitoring": "monitoring",
                "bench": "spark-operator-benchmark-ng"}  # fmt: skip


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """AWS_ENDPOINT_URL -> the moto server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return moto_url


@pytest.fixture
def param(aws: str) -> str:
    """A lease parameter name no other test uses."""
    return f"/benchkit/t{next(_COUNTER)}/lease"


@dataclass
class FakeStack:
    """What the stack outputs would say about the moto cluster."""

    cluster: str
    region: str
    node_groups: dict[str, str]
    instance_types: dict[str, str]

    def scaling(self, role: str) -> dict[str, int]:
        ng = _eks().describe_nodegroup(clusterName=self.cluster, nodegroupName=self.node_groups[role])
        return dict(ng["nodegroup"]["scalingConfig"])

    def set_scaling(self, role: str, **sizes: int) -> None:
        _eks().update_nodegroup_config(clusterName=self.cluster, nodegroupName=self.node_groups[role],
                                       scalingConfig=sizes)  # fmt: skip


@functools.cache
def _eks() -> Any:
    return boto3.client("eks", region_name=REGION)


def make_stack() -> FakeStack:
    eks, cluster = _eks(), f"{CLUSTER}-{next(_COUNTER)}"
    eks.create_cluster(name=cluster, roleArn=ROLE_ARN, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    for role, (name, itype, low, desired, high) in GROUPS.items():
        taints = [] if role == "core" else [{"key": GROUP_LABELS[role], "value": "true", "effect": "NO_SCHEDULE"}]
        eks.create_nodegroup(clusterName=cluster, nodegroupName=name, nodeRole=ROLE_ARN, subnets=["subnet-1"],
                             instanceTypes=[itype], labels={"NodeGroupType": GROUP_LABELS[role]}, taints=taints,
                             scalingConfig={"minSize": low, "desiredSize": desired, "maxSize": high})  # fmt: skip
    return FakeStack(cluster, REGION, {r: g[0] for r, g in GROUPS.items()}, {r: g[1] for r, g in GROUPS.items()})


@pytest.fixture
def stack(aws: str) -> FakeStack:
    """A fresh moto EKS cluster with the stack's four node groups."""
    return make_stack()


@pytest.fixture(scope="module")
def shared_stack(moto_url: str) -> Iterator[FakeStack]:
    """One moto cluster for a module of tests that must not change it (bad-input tables)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", moto_url)
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        yield make_stack()
