"""The dead-man's switch: a scheduled Lambda that scales the bench group to zero when benchkit's lease lapsed.

The handler is `benchkit/capacity/janitor.py` (stdlib + boto3), zipped alone from its file path;
infra never imports it. benchkit renews the lease (an SSM parameter) every minute while a run is active.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra.naming import type_token

RUNTIME = "python3.12"
HANDLER_FILE = "janitor.py"
HANDLER = "janitor.handler"
LOG_RETENTION_DAYS = 14
# benchkit overwrites it; an expired placeholder means "no run holds the lease".
PLACEHOLDER_LEASE = json.dumps({"run_id": None, "holder": "pulumi", "expires": 0})


@dataclass(frozen=True)
class JanitorArgs:
    cluster_name: str
    node_group_names: Sequence[str]
    """The node groups to scale to zero when the lease lapses (the bench group by default)."""
    lease_parameter: str
    code_path: Path
    schedule: str
    region: str
    tags: dict[str, str]


def janitor_policy(
    *, partition: str, region: str, account: str, cluster: str, node_groups: Sequence[str], lease: str, log_group: str
) -> str:
    """Least privilege: these node groups, this parameter, this log group — nothing else."""
    eks_arn = f"arn:{partition}:eks:{region}:{account}"
    statements = [
        {
            "Sid": "ScaleTheBenchNodeGroups",
            "Effect": "Allow",
            "Action": ["eks:DescribeNodegroup", "eks:UpdateNodegroupConfig"],
            "Resource": [f"{eks_arn}:nodegroup/{cluster}/{ng}/*" for ng in node_groups],
        },
        {
            "Sid": "ReadTheLease",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter"],
            "Resource": [f"arn:{partition}:ssm:{region}:{account}:parameter/{lease.lstrip('/')}"],
        },
        {
            "Sid": "WriteItsLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}:*"],
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class Janitor(pulumi.ComponentResource):
    """SSM lease parameter, IAM role, Lambda, log group, and an EventBridge schedule that invokes it."""

    function_name: str
    lease_parameter: str

    def __init__(self, name: str, args: JanitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("Janitor"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.function_name = f"{args.cluster_name}-janitor"
        self.lease_parameter = args.lease_parameter
        aws.ssm.Parameter(
            f"{name}-lease",
            name=args.lease_parameter,
            type="String",
            value=PLACEHOLDER_LEASE,
            description="benchkit run lease (JSON with expires in epoch seconds); renewed by benchkit",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["value"]),
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/lambda/{self.function_name}", retention_in_days=LOG_RETENTION_DAYS,
            tags=args.tags, opts=child,
        )  # fmt: skip
        role = self._create_role(name, args)
        function = aws.lambda_.Function(
            f"{name}-function",
            name=self.function_name,
            runtime=RUNTIME,
            handler=HANDLER,
            code=pulumi.AssetArchive({HANDLER_FILE: pulumi.FileAsset(str(args.code_path))}),
            role=role.arn,
            timeout=60,
            memory_size=128,
            # No reserved concurrency: reserving even 1 fails on accounts whose concurrency limit is 10
            # (AWS keeps 10 unreserved). A 5-minute schedule with a 60 s timeout never overlaps itself.
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "BENCHKIT_CLUSTER": args.cluster_name,
                    "BENCHKIT_NODEGROUPS": ",".join(args.node_group_names),
                    "BENCHKIT_LEASE_PARAMETER": args.lease_parameter,
                }
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-schedule", schedule_expression=args.schedule, tags=args.tags, opts=child,
            description=f"benchkit janitor for {args.cluster_name}: scale bench nodes to zero without a lease",
        )  # fmt: skip
        aws.cloudwatch.EventTarget(f"{name}-target", rule=rule.name, arn=function.arn, opts=child)
        aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=child,
        )
        self.register_outputs({"functionName": self.function_name, "leaseParameter": self.lease_parameter})

    def _create_role(self, name: str, args: JanitorArgs) -> aws.iam.Role:
        child = pulumi.ResourceOptions(parent=self)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
            ],
        }
        role = aws.iam.Role(f"{name}-role", assume_role_policy=json.dumps(trust), tags=args.tags, opts=child)
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output()
        policy = pulumi.Output.all(partition.partition, identity.account_id).apply(
            lambda v: janitor_policy(
                partition=v[0],
                region=args.region,
                account=v[1],
                cluster=args.cluster_name,
                node_groups=args.node_group_names,
                lease=args.lease_parameter,
                log_group=f"/aws/lambda/{self.function_name}",
            )
        )
        aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=child)
        return role
