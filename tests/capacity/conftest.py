"""A moto server (EKS cluster + node groups + SSM) on a loopback port, reset before each test."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto.server import ThreadedMotoServer

CLUSTER = "bench-cluster"
REGION = "us-west-2"
ROLE_ARN = "arn:aws:iam::123456789012:role/benchkit-nodes"
# role -> (EKS node group name, instance type, min, desired, max); names match the twin's groups.
GROUPS = {
    "core": ("core", "m5.xlarge", 2, 2, 3),
    "operator": ("operator", "c5.9xlarge", 1, 1, 1),
    "monitoring": ("monitoring", "r6a.2xlarge", 1, 1, 1),
    "bench": ("bench", "m6a.4xlarge", 0, 0, 200),
}


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
    """AWS_ENDPOINT_URL -> the moto server, with its state wiped."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10).close()
    return moto_url


@dataclass
class FakeStack:
    """What the stack outputs would say about the moto cluster."""

    cluster: str
    region: str
    node_groups: dict[str, str]
    instance_types: dict[str, str]

    def scaling(self, role: str) -> dict[str, int]:
        eks = boto3.client("eks", region_name=self.region)
        ng = eks.describe_nodegroup(clusterName=self.cluster, nodegroupName=self.node_groups[role])
        return dict(ng["nodegroup"]["scalingConfig"])

    def set_scaling(self, role: str, **sizes: int) -> None:
        eks = boto3.client("eks", region_name=self.region)
        eks.update_nodegroup_config(clusterName=self.cluster, nodegroupName=self.node_groups[role], scalingConfig=sizes)


@pytest.fixture
def stack(aws: str) -> FakeStack:
    eks = boto3.client("eks", region_name=REGION)
    eks.create_cluster(name=CLUSTER, roleArn=ROLE_ARN, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    for name, itype, low, desired, high in GROUPS.values():
        eks.create_nodegroup(clusterName=CLUSTER, nodegroupName=name, nodeRole=ROLE_ARN, subnets=["subnet-1"],
                             instanceTypes=[itype], scalingConfig={"minSize": low, "desiredSize": desired,
                                                                   "maxSize": high})  # fmt: skip
    return FakeStack(CLUSTER, REGION, {r: g[0] for r, g in GROUPS.items()}, {r: g[1] for r, g in GROUPS.items()})
