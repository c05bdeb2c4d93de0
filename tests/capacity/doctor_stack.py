"""A moto stack as infra builds it (VPC subnet, EKS cluster and node groups with labels and taints, lease
parameter, janitor Lambda and its schedule rule), for the doctor tests; keywords break one thing each."""

from __future__ import annotations

import io
import itertools
import zipfile
from typing import Any

import boto3

from benchkit.capacity.doctor_aws import AwsExpect

from .conftest import REGION

_IDS = itertools.count(1)
ACCOUNT = "123456789012"
# role -> (instance type, min, desired, max, NodeGroupType label, taint key or None), as infra builds them
GROUPS = {
    "core": ("m5.xlarge", 2, 2, 2, "core", None),
    "operator": ("c5.9xlarge", 1, 1, 1, "spark-operator-benchmark", "spark-operator-benchmark"),
    "monitoring": ("r6a.2xlarge", 1, 1, 1, "monitoring", "monitoring"),
    "bench": ("m6a.4xlarge", 0, 0, 200, "spark-operator-benchmark-ng", "spark-operator-benchmark-ng"),
}


def _client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def build(*, skip: str | None = None, labels: dict[str, str] | None = None, untainted: str | None = None,
          bench_max: int = 200, schedule: str = "rate(5 minutes)", lease: bool = True,
          function: bool = True) -> AwsExpect:  # fmt: skip
    """A moto stack as infra builds it; each keyword breaks one thing."""
    n = next(_IDS)
    cluster, ec2, eks = f"doc-{n}", _client("ec2"), _client("eks")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]  # 251 free addresses
    role = f"arn:aws:iam::{ACCOUNT}:role/nodes"
    eks.create_cluster(name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": [subnet]})
    names = {}
    for r, (itype, low, desired, high, label, taint) in GROUPS.items():
        names[r] = f"{cluster}-{r}"
        if r == skip:
            continue
        top = bench_max if r == "bench" else high
        taints = [{"key": taint, "value": "true", "effect": "NO_SCHEDULE"}] if taint and r != untainted else []
        eks.create_nodegroup(clusterName=cluster, nodegroupName=names[r], nodeRole=role, subnets=[subnet],
                             instanceTypes=[itype], labels={"NodeGroupType": (labels or {}).get(r, label)},
                             taints=taints,
                             scalingConfig={"minSize": low, "desiredSize": desired, "maxSize": top})  # fmt: skip
    param = f"/benchkit/doc-{n}/lease"
    if lease:
        _client("ssm").put_parameter(Name=param, Value="{}", Type="String")
    fn = f"{cluster}-janitor"
    if function:
        iam = _client("iam")
        arn = iam.create_role(RoleName=f"janitor-{n}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("janitor.py", "def handler(event, context):\n    return None\n")
        fn_arn = _client("lambda").create_function(FunctionName=fn, Runtime="python3.12", Role=arn,
                                                   Handler="janitor.handler", Code={"ZipFile": code.getvalue()})[
            "FunctionArn"]  # fmt: skip
        events = _client("events")
        events.put_rule(Name=f"janitor-{n}", ScheduleExpression=schedule)
        events.put_targets(Rule=f"janitor-{n}", Targets=[{"Id": "janitor", "Arn": fn_arn}])
    return AwsExpect(cluster=cluster, region=REGION, node_groups=names,
                     instance_types={r: g[0] for r, g in GROUPS.items()}, nodes=1,
                     bounds={r: (g[1], g[3]) for r, g in GROUPS.items()}, lease_parameter=param,
                     janitor_function=fn, janitor_schedule="rate(5 minutes)")  # fmt: skip
