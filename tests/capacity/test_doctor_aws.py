"""`benchkit doctor`'s AWS rows against a moto server (EKS, EC2, SSM, Lambda, EventBridge, STS); Service
Quotas and the vpc-cni addon through botocore's Stubber (moto answers NoSuchResourceException for Service
Quotas and serves no EKS addons). Every fail path: break exactly one condition, see exactly that row fail."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber

from benchkit.capacity import doctor_aws
from benchkit.capacity.doctor_aws import AwsExpect
from benchkit.checks import Row
from benchkit.orchestrate import doctor

from .conftest import REGION
from .doctor_stack import ACCOUNT, GROUPS, _client, build


def failed(rows: list[Row]) -> list[str]:
    return [r.check for r in rows if r.status == "fail"]


def by_check(rows: list[Row]) -> dict[str, Row]:
    return {r.check: r for r in rows}


def test_a_stack_as_built_has_no_failing_row(aws: str) -> None:
    rows = doctor.aws_rows(build())
    assert failed(rows) == []
    checks = by_check(rows)
    assert checks["aws identity"].status == "ok" and ACCOUNT in checks["aws identity"].detail
    for role in GROUPS:
        assert checks[f"node group {role}"].status == "ok", checks[f"node group {role}"]
    assert checks["bench subnet addresses"].status == "ok"
    assert checks["lease parameter"].status == "ok" and checks["janitor"].status == "ok"
    # what moto cannot answer is a warn that says so, never a traceback or a silent ok
    assert checks["ec2 on-demand vCPU quota"].status == "warn"
    assert checks["ec2 on-demand vCPU quota"].detail.startswith("not checked: NoSuchResourceException")
    assert checks["vpc-cni prefix delegation"].status == "warn"
    assert checks["vpc-cni prefix delegation"].detail.startswith("not checked:")


@pytest.mark.parametrize(
    ("breakage", "row"),
    [
        ({"skip": "monitoring"}, "node group monitoring"),
        ({"labels": {"operator": "core"}}, "node group operator"),
        ({"untainted": "bench"}, "node group bench"),
        ({"lease": False}, "lease parameter"),
        ({"function": False}, "janitor"),
        ({"schedule": "rate(1 hour)"}, "janitor"),
    ],
)
def test_each_broken_condition_fails_exactly_its_row(aws: str, breakage: dict[str, Any], row: str) -> None:
    rows = doctor.aws_rows(build(**breakage))
    assert failed(rows) == [row]
    assert by_check(rows)[row].fix  # every fail says what to do


def test_bench_max_below_the_wanted_nodes(aws: str) -> None:
    expect = replace(build(bench_max=5), nodes=6, bench_max_pods=10)  # 6 x 33 addresses fit the /24
    rows = doctor.aws_rows(expect)
    assert failed(rows) == ["node group bench"]
    assert "max 5 < --nodes 6" in by_check(rows)["node group bench"].detail
    assert failed(doctor.aws_rows(replace(expect, nodes=5))) == []


def test_bounds_changed_behind_the_stacks_back(aws: str) -> None:
    expect = build()
    _client("eks").update_nodegroup_config(clusterName=expect.cluster, nodegroupName=expect.node_groups["core"],
                                           scalingConfig={"minSize": 1, "desiredSize": 1, "maxSize": 5})  # fmt: skip
    rows = doctor.aws_rows(expect)
    assert failed(rows) == ["node group core"]
    assert "bounds 1..5 (stack says 2..2)" in by_check(rows)["node group core"].detail


def test_bench_subnet_addresses_for_n_nodes_at_max_pods(aws: str) -> None:
    """220 pods in /28 prefixes: ceil(220/16) = 14 + 1 warm = 15 prefixes x 16 + the primary = 241 per node;
    the /24 has 251 free: one node fits, two do not."""
    assert doctor_aws.addresses_per_node(220, 1) == 241
    expect = build()
    assert failed(doctor.aws_rows(replace(expect, nodes=1))) == []
    rows = doctor.aws_rows(replace(expect, nodes=2))
    assert failed(rows) == ["bench subnet addresses"]
    assert by_check(rows)["bench subnet addresses"].detail == (
        "251 free in 1 subnet(s); 2 nodes x 220 pods in /28 prefixes need 482"
    )


def _quota_client(value: float) -> Any:
    sq = boto3.client("service-quotas", region_name=REGION)
    stub = Stubber(sq)
    stub.add_response("get_service_quota", {"Quota": {"QuotaCode": "L-1216C47A", "Value": value}},
                      {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"})  # fmt: skip
    stub.activate()
    return sq


def test_vcpu_quota_against_n_bench_nodes_and_the_rest() -> None:
    expect = AwsExpect(cluster="c", region=REGION, node_groups={}, nodes=200)
    fixed = {"core": 2, "operator": 1, "monitoring": 1}
    # 200 x m6a.4xlarge (16) + 2 x m5.xlarge (4) + c5.9xlarge (36) + r6a.2xlarge (8) = 3252 vCPUs
    assert doctor_aws.vcpus_needed(expect, fixed) == 3252
    (row,) = doctor_aws.vcpu_quota(expect, fixed, client=_quota_client(3252))
    assert row.status == "ok"
    (row,) = doctor_aws.vcpu_quota(expect, fixed, client=_quota_client(3251))
    assert row.status == "fail" and "3251" in row.detail and ">= 3252" in row.fix


def _addon_client(env: dict[str, str]) -> Any:
    eks = boto3.client("eks", region_name=REGION)
    stub = Stubber(eks)
    addon = {"addonName": "vpc-cni", "clusterName": "c", "addonVersion": "v1.19.2-eksbuild.1",
             "configurationValues": json.dumps({"env": env})}  # fmt: skip
    stub.add_response("describe_addon", {"addon": addon}, {"clusterName": "c", "addonName": "vpc-cni"})
    stub.activate()
    return eks


def test_vpc_cni_prefix_delegation() -> None:
    expect = AwsExpect(cluster="c", region=REGION, node_groups={})
    (row,) = doctor_aws.vpc_cni(expect, client=_addon_client({"ENABLE_PREFIX_DELEGATION": "true"}))
    assert row.status == "ok"
    (row,) = doctor_aws.vpc_cni(expect, client=_addon_client({"WARM_PREFIX_TARGET": "1"}))
    assert row.status == "fail" and "ENABLE_PREFIX_DELEGATION is None" in row.detail


def test_no_credentials_is_a_failing_identity_row() -> None:
    class NoCredentials:
        def get_caller_identity(self) -> Any:
            raise NoCredentialsError

    (row,) = doctor_aws.identity(REGION, client=NoCredentials())
    assert row.status == "fail" and row.fix.startswith("set AWS_PROFILE")
