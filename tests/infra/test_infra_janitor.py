"""The dead-man's switch infrastructure: Lambda, schedule, least-privilege role, lease parameter."""

from __future__ import annotations

import json

from infra.components.janitor import PLACEHOLDER_LEASE

ACCOUNT = "123456789012"  # the mocks answer getCallerIdentity with it (conftest.py)


def test_lambda_runs_the_janitor_file(default_stack) -> None:  # type: ignore[no-untyped-def]
    fn = default_stack.mocks.one("aws:lambda/function:Function").inputs
    assert fn["name"] == "benchkit-test-janitor"
    assert fn["runtime"].startswith("python3.") and fn["handler"] == "janitor.handler"
    assert fn["environment"]["variables"] == {
        "BENCHKIT_CLUSTER": "benchkit-test",
        "BENCHKIT_NODEGROUPS": "benchkit-test-bench",
        "BENCHKIT_LEASE_PARAMETER": "/benchkit/test/lease",
    }
    assert fn["timeout"] == 60  # well under the 5-minute schedule: runs never overlap
    assert "reservedConcurrentExecutions" not in fn
    assert fn["role"].startswith("arn:aws:mock::")  # the janitor role's ARN


def test_code_is_the_file_alone(build, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = tmp_path / "handler.py"
    code.write_text("def handler(event, context): ...\n")
    fn = build({"janitorCodePath": str(code)}).mocks.one("aws:lambda/function:Function").inputs
    # an AssetArchive with one FileAsset, serialized: {"assets": {"janitor.py": {"path": ...}}}
    archive = fn["code"]
    assert set(archive.assets) == {"janitor.py"}
    assert archive.assets["janitor.py"].path == str(code)


def test_schedule_every_five_minutes(default_stack) -> None:  # type: ignore[no-untyped-def]
    mocks = default_stack.mocks
    rule = mocks.one("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["scheduleExpression"] == "rate(5 minutes)"
    target = mocks.one("aws:cloudwatch/eventTarget:EventTarget")
    fn = mocks.one("aws:lambda/function:Function")
    assert target.inputs["rule"] == "janitor-schedule" and target.depends_on(rule)
    assert target.inputs["arn"].endswith("Function/janitor-function") and target.depends_on(fn)
    permission = mocks.one("aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["sourceArn"].endswith("EventRule/janitor-schedule")
    logs = mocks.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert logs["name"] == "/aws/lambda/benchkit-test-janitor" and logs["retentionInDays"] == 14


def test_role_has_least_privilege(default_stack) -> None:  # type: ignore[no-untyped-def]
    mocks = default_stack.mocks
    trust = json.loads(mocks.one("aws:iam/role:Role", "janitor-role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    policy = json.loads(mocks.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    grants = {(tuple(s["Action"]), tuple(s["Resource"])) for s in policy["Statement"]}
    assert grants == {
        (
            ("eks:DescribeNodegroup", "eks:UpdateNodegroupConfig"),
            (f"arn:aws:eks:us-west-2:{ACCOUNT}:nodegroup/benchkit-test/benchkit-test-bench/*",),
        ),
        (("ssm:GetParameter",), (f"arn:aws:ssm:us-west-2:{ACCOUNT}:parameter/benchkit/test/lease",)),
        (
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            (f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:/aws/lambda/benchkit-test-janitor:*",),
        ),
    }
    assert all(s["Effect"] == "Allow" and "*" not in s["Action"] for s in policy["Statement"])
    # nothing else attached to the role
    attached = [r for r in mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "janitor" in r.name]
    assert attached == []


def test_more_groups_can_be_guarded(build) -> None:  # type: ignore[no-untyped-def]
    mocks = build({"janitorNodeGroups": "bench,operator,monitoring"}).mocks
    env = mocks.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert env["BENCHKIT_NODEGROUPS"] == "benchkit-test-bench,benchkit-test-operator,benchkit-test-monitoring"
    statement = json.loads(mocks.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"][0]
    assert len(statement["Resource"]) == 3


def test_lease_parameter_starts_expired_and_belongs_to_benchkit(default_stack) -> None:  # type: ignore[no-untyped-def]
    param = default_stack.mocks.one("aws:ssm/parameter:Parameter")
    assert param.inputs["name"] == "/benchkit/test/lease"
    assert param.inputs["type"] == "String"
    assert param.ignore_changes == ["value"]  # benchkit renews it; `pulumi up` must not reset it
    value = param.inputs["value"]
    value = value["value"] if isinstance(value, dict) and "value" in value else value  # secret wrapper
    lease = json.loads(value)
    assert lease == json.loads(PLACEHOLDER_LEASE) and lease["expires"] == 0
