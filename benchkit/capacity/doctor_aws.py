"""Doctor rows for the AWS side of a stack (read-only): identity, vCPU quota, node groups, vpc-cni, bench
subnet addresses, the lease parameter and the janitor. Every call that the account or endpoint does not
serve becomes a warn row saying so; nothing here raises for an AWS answer."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from benchkit.capacity import aws
from benchkit.checks import Row, cannot_check, fail, ok
from benchkit.kube import labels
from benchkit.settings import cluster_shape

VCPU_QUOTA_CODE = "L-1216C47A"
"""Service Quotas: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" (vCPUs)."""
EKS_TAINT_EFFECT = "NO_SCHEDULE"
ROLE_LABELS = {"core": "core", "operator": labels.OPERATOR_NODE_GROUP, "monitoring": labels.MONITORING_NODE_GROUP,
               "bench": labels.BENCH_NODE_GROUP}  # fmt: skip
TAINTED = {"operator", "monitoring", "bench"}


@dataclass(frozen=True)
class AwsExpect:
    """What the stack was built to be (stack outputs, or defaults for --cluster)."""

    cluster: str
    region: str
    node_groups: dict[str, str]
    """role -> EKS node group name."""
    instance_types: dict[str, str] = field(default_factory=dict)
    nodes: int = 0
    """Bench nodes the user wants to run (--nodes)."""
    bench_max_pods: int = field(default_factory=cluster_shape.bench_max_pods)
    warm_prefix_target: int = 1
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    """role -> (min, max) as infra set them; empty: not compared."""
    lease_parameter: str | None = None
    janitor_function: str | None = None
    janitor_schedule: str | None = None


def _guard(check: str, doing: Callable[[], list[Row]]) -> list[Row]:
    """Run a check; an AWS error the check did not handle becomes one warn/fail row, never a traceback."""
    try:
        return doing()
    except NoCredentialsError:
        return [fail(check, "no AWS credentials", "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")]
    except ClientError as exc:
        message = " ".join(str(exc.response.get("Error", {}).get("Message", "")).split())
        return [cannot_check(check, f"{aws.error_code(exc)}: {message}")]
    except BotoCoreError as exc:
        return [cannot_check(check, str(exc))]


def identity(region: str, client: Any = None) -> list[Row]:
    def run() -> list[Row]:
        who = (client or aws.client("sts", region)).get_caller_identity()
        return [ok("aws identity", f"{who['Arn']} (account {who['Account']})")]

    return _guard("aws identity", run)


def vcpus_needed(expect: AwsExpect, fixed_nodes: dict[str, int]) -> int:
    """N bench nodes x the bench type's vCPUs, plus the always-on groups at their current size."""
    types = {**cluster_shape.default_instance_types(), **expect.instance_types}
    need = expect.nodes * cluster_shape.instance(types["bench"]).vcpu
    return need + sum(n * cluster_shape.instance(types[role]).vcpu for role, n in fixed_nodes.items())


def vcpu_quota(expect: AwsExpect, fixed_nodes: dict[str, int], client: Any = None) -> list[Row]:
    check = "ec2 on-demand vCPU quota"

    def run() -> list[Row]:
        sq = client or aws.client("service-quotas", expect.region)
        quota = sq.get_service_quota(ServiceCode="ec2", QuotaCode=VCPU_QUOTA_CODE)["Quota"]
        have, need = int(quota["Value"]), vcpus_needed(expect, fixed_nodes)
        detail = f"{VCPU_QUOTA_CODE} = {have} vCPUs; {expect.nodes} bench nodes + the rest of the stack need {need}"
        if have < need:
            return [fail(check, detail, f"request an increase of {VCPU_QUOTA_CODE} to >= {need} in Service Quotas "
                                        f"({expect.region}) before scaling")]  # fmt: skip
        return [ok(check, detail)]

    return _guard(check, run)


def describe_groups(expect: AwsExpect, client: Any = None) -> tuple[dict[str, dict[str, Any]], list[Row]]:
    """Each role's node group as EKS describes it, and a fail row for each one missing."""
    eks = client or aws.client("eks", expect.region)
    found: dict[str, dict[str, Any]] = {}
    rows: list[Row] = []
    for role, name in expect.node_groups.items():

        def run(role: str = role, name: str = name) -> list[Row]:
            try:
                found[role] = eks.describe_nodegroup(clusterName=expect.cluster, nodegroupName=name)["nodegroup"]
            except ClientError as exc:
                if aws.error_code(exc) != "ResourceNotFoundException":
                    raise
                return [fail(f"node group {role}", f"{expect.cluster}/{name} does not exist",
                             "run `pulumi up` for the stack")]  # fmt: skip
            return []

        rows.extend(_guard(f"node group {role}", run))
    return found, rows


def group_rows(expect: AwsExpect, groups: dict[str, dict[str, Any]]) -> list[Row]:
    """Labels, taints and scaling bounds of every group found; the bench group's max against --nodes."""
    rows = []
    for role, ng in groups.items():
        check = f"node group {role}"
        problems = []
        want_label = ROLE_LABELS.get(role)
        have_label = (ng.get("labels") or {}).get(labels.NODE_GROUP_TYPE)
        if want_label is not None and have_label != want_label:
            problems.append(f"label {labels.NODE_GROUP_TYPE}={have_label} (want {want_label})")
        taints = {(t.get("key"), t.get("effect")) for t in ng.get("taints") or []}
        if role in TAINTED and (want_label, EKS_TAINT_EFFECT) not in taints:
            problems.append(f"no {want_label}:NoSchedule taint")
        scaling = ng.get("scalingConfig") or {}
        low, high = int(scaling.get("minSize", 0)), int(scaling.get("maxSize", 0))
        if role in expect.bounds and role != "bench" and (low, high) != tuple(expect.bounds[role]):
            problems.append(f"bounds {low}..{high} (stack says {expect.bounds[role][0]}..{expect.bounds[role][1]})")
        detail = f"{ng.get('nodegroupName')}: {ng.get('status', '?')}, {low}..{high} nodes"
        if role == "bench" and high < expect.nodes:
            rows.append(fail(check, f"{detail}; max {high} < --nodes {expect.nodes}",
                             f"raise benchMaxNodes to >= {expect.nodes} (pulumi config set benchkit:benchMaxNodes "
                             f"{expect.nodes}) and run `pulumi up`"))  # fmt: skip
            continue
        if problems:
            rows.append(fail(check, f"{detail}; {'; '.join(problems)}", "run `pulumi up` to restore the stack's "
                             "node group settings"))  # fmt: skip
        else:
            rows.append(ok(check, detail))
    return rows


def vpc_cni(expect: AwsExpect, client: Any = None) -> list[Row]:
    check = "vpc-cni prefix delegation"

    def run() -> list[Row]:
        eks = client or aws.client("eks", expect.region)
        addon = eks.describe_addon(clusterName=expect.cluster, addonName="vpc-cni")["addon"]
        env = json.loads(addon.get("configurationValues") or "{}").get("env") or {}
        if str(env.get("ENABLE_PREFIX_DELEGATION", "")).lower() != "true":
            return [fail(check, f"vpc-cni {addon.get('addonVersion', '?')}: ENABLE_PREFIX_DELEGATION is "
                                f"{env.get('ENABLE_PREFIX_DELEGATION')!r}",
                         "run `pulumi up` (the stack's vpc-cni addon sets ENABLE_PREFIX_DELEGATION=true)")]  # fmt: skip
        return [ok(check, f"vpc-cni {addon.get('addonVersion', '?')}: ENABLE_PREFIX_DELEGATION=true, "
                          f"WARM_PREFIX_TARGET={env.get('WARM_PREFIX_TARGET', 'unset')}")]  # fmt: skip

    return _guard(check, run)


def addresses_per_node(max_pods: int, warm_prefix_target: int) -> int:
    """A full node's addresses under prefix delegation: its /28 prefixes plus its primary address."""
    size = cluster_shape.prefix_addresses()
    return (math.ceil(max_pods / size) + warm_prefix_target) * size + 1


def bench_subnets(expect: AwsExpect, bench: dict[str, Any] | None, client: Any = None) -> list[Row]:
    check = "bench subnet addresses"
    if bench is None:
        return [cannot_check(check, "no bench node group to read subnets from")]

    def run() -> list[Row]:
        ec2 = client or aws.client("ec2", expect.region)
        subnets = ec2.describe_subnets(SubnetIds=list(bench.get("subnets") or []))["Subnets"]
        free = sum(int(s["AvailableIpAddressCount"]) for s in subnets)
        need = expect.nodes * addresses_per_node(expect.bench_max_pods, expect.warm_prefix_target)
        detail = (f"{free:,} free in {len(subnets)} subnet(s); {expect.nodes} nodes x {expect.bench_max_pods} pods "
                  f"in /28 prefixes need {need:,}")  # fmt: skip
        if free < need:
            return [fail(check, detail, "free addresses in the bench subnets (delete leftover ENIs), or run fewer "
                                        "--nodes")]  # fmt: skip
        return [ok(check, detail)]

    return _guard(check, run)


def lease(expect: AwsExpect, client: Any = None) -> list[Row]:
    check = "lease parameter"
    if expect.lease_parameter is None:
        return [cannot_check(check, "the stack exports no lease parameter (janitorEnabled false?)")]

    def run() -> list[Row]:
        ssm = client or aws.client("ssm", expect.region)
        try:
            ssm.get_parameter(Name=expect.lease_parameter)
        except ClientError as exc:
            if aws.error_code(exc) == "ParameterNotFound":
                return [fail(check, f"{expect.lease_parameter} does not exist", "run `pulumi up` for the stack")]
            raise
        return [ok(check, f"{expect.lease_parameter} exists")]

    return _guard(check, run)


def janitor(expect: AwsExpect, lambda_client: Any = None, events_client: Any = None) -> list[Row]:
    check = "janitor"
    if expect.janitor_function is None:
        return [cannot_check(check, "the stack exports no janitor function (janitorEnabled false?)")]
    name = expect.janitor_function

    def run() -> list[Row]:
        fn = lambda_client or aws.client("lambda", expect.region)
        try:
            arn = fn.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        except ClientError as exc:
            if aws.error_code(exc) == "ResourceNotFoundException":
                return [fail(check, f"function {name} does not exist", "run `pulumi up` for the stack")]
            raise
        events = events_client or aws.client("events", expect.region)
        rules = events.list_rule_names_by_target(TargetArn=arn).get("RuleNames") or []
        schedules = [events.describe_rule(Name=r).get("ScheduleExpression") for r in rules]
        if expect.janitor_schedule not in schedules:
            return [fail(check, f"function {name}: no rule with schedule {expect.janitor_schedule} targets it "
                                f"(found {schedules or 'none'})", "run `pulumi up` for the stack")]  # fmt: skip
        return [ok(check, f"function {name}, schedule {expect.janitor_schedule}")]

    return _guard(check, run)
