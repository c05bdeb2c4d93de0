"""The janitor Lambda handler against a moto server: every decision, with the lease missing/expired/valid/bad."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import boto3
import pytest

from benchkit.capacity import janitor, lease

from .conftest import FakeStack


@pytest.fixture
def env(stack: FakeStack, param: str, monkeypatch: pytest.MonkeyPatch) -> FakeStack:
    monkeypatch.setenv("BENCHKIT_CLUSTER", stack.cluster)
    monkeypatch.setenv("BENCHKIT_NODEGROUPS", stack.node_groups["bench"])
    monkeypatch.setenv("BENCHKIT_LEASE_PARAMETER", param)
    return stack


def _put_lease(expires_in: float, run_id: str = "run-1") -> None:
    value = json.dumps({"run_id": run_id, "holder": "me@laptop pid 1", "expires": time.time() + expires_in})
    boto3.client("ssm").put_parameter(
        Name=os.environ["BENCHKIT_LEASE_PARAMETER"], Value=value, Type="String", Overwrite=True
    )


def test_lease_missing_and_nodes_up_scales_to_zero(env: FakeStack) -> None:
    env.set_scaling("bench", minSize=200, desiredSize=200)
    result = janitor.handler({}, None)
    assert result["lease"] == janitor.MISSING
    [group] = result["groups"]
    assert group["action"] == janitor.SCALED_TO_ZERO
    assert group["before"] == {"minSize": 200, "desiredSize": 200, "maxSize": 200}
    assert "no lease parameter" in group["reason"]
    assert env.scaling("bench") == {"minSize": 0, "desiredSize": 0, "maxSize": 200}


def test_expired_lease_scales_to_zero(env: FakeStack) -> None:
    env.set_scaling("bench", minSize=50, desiredSize=50)
    _put_lease(expires_in=-120)
    result = janitor.handler({}, None)
    assert result["lease"] == janitor.EXPIRED
    assert result["groups"][0]["action"] == janitor.SCALED_TO_ZERO
    assert "expired 120 s ago" in result["groups"][0]["reason"] or "expired 121 s ago" in result["groups"][0]["reason"]
    assert env.scaling("bench")["desiredSize"] == 0


def test_valid_lease_keeps_the_nodes(env: FakeStack) -> None:
    env.set_scaling("bench", minSize=200, desiredSize=200)
    _put_lease(expires_in=240, run_id="run-7")
    result = janitor.handler({}, None)
    assert result["lease"] == janitor.VALID
    group = result["groups"][0]
    assert group["action"] == janitor.NONE
    assert "run run-7" in group["reason"] and "keeping 200 node(s)" in group["reason"]
    assert env.scaling("bench") == {"minSize": 200, "desiredSize": 200, "maxSize": 200}


def test_a_nodes_scale_hold_keeps_the_nodes_until_it_expires(env: FakeStack) -> None:
    """`benchkit nodes scale --to 200` holds the lease for --hold: the janitor must not undo it meanwhile."""
    env.set_scaling("bench", minSize=200, desiredSize=200)
    lease.hold(os.environ["BENCHKIT_LEASE_PARAMETER"], "us-west-2", 1800)
    result = janitor.handler({}, None)
    group = result["groups"][0]
    assert (result["lease"], group["action"]) == (janitor.VALID, janitor.NONE)
    assert group["reason"].startswith("lease held by `benchkit nodes scale` (")
    assert group["reason"].endswith("keeping 200 node(s)")
    assert env.scaling("bench")["desiredSize"] == 200
    _put_lease(expires_in=-1, run_id=janitor.NODES_SCALE)  # the hold ran out
    assert janitor.handler({}, None)["groups"][0]["action"] == janitor.SCALED_TO_ZERO
    assert env.scaling("bench")["desiredSize"] == 0


def test_group_already_at_zero_is_left_alone(env: FakeStack) -> None:
    result = janitor.handler({}, None)  # no lease, group at 0/0
    assert result["groups"][0]["action"] == janitor.NONE
    assert result["groups"][0]["reason"].startswith("already at zero")


def test_unreadable_lease_counts_as_no_lease(env: FakeStack) -> None:
    env.set_scaling("bench", minSize=3, desiredSize=3)
    boto3.client("ssm").put_parameter(
        Name=os.environ["BENCHKIT_LEASE_PARAMETER"], Value="placeholder", Type="String", Overwrite=True
    )
    result = janitor.handler({}, None)
    assert result["lease"] == janitor.INVALID
    assert result["groups"][0]["action"] == janitor.SCALED_TO_ZERO


def test_dry_run_decides_without_scaling(env: FakeStack) -> None:
    env.set_scaling("bench", minSize=10, desiredSize=10)
    result = janitor.handler({"dry_run": True}, None)
    assert result["groups"][0]["action"] == janitor.WOULD_SCALE
    assert env.scaling("bench")["desiredSize"] == 10


def test_several_groups_and_a_missing_one(env: FakeStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken group is reported (and the invocation fails) only after the others were handled."""
    env.set_scaling("bench", minSize=5, desiredSize=5)
    monkeypatch.setenv("BENCHKIT_NODEGROUPS", "no-such-group, bench ,")
    with pytest.raises(RuntimeError, match="could not scale no-such-group"):
        janitor.handler({}, None)
    assert env.scaling("bench")["desiredSize"] == 0


def test_misconfigured_environment_fails_loudly(env: FakeStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCHKIT_LEASE_PARAMETER")
    with pytest.raises(RuntimeError, match="BENCHKIT_LEASE_PARAMETER is not set"):
        janitor.handler({}, None)


@pytest.mark.parametrize(
    ("value", "now", "state"),
    [
        (None, 100.0, janitor.MISSING),
        ("{not json", 100.0, janitor.INVALID),
        ('["a list"]', 100.0, janitor.INVALID),
        ('{"run_id": "r", "expires": "soon"}', 100.0, janitor.INVALID),
        ('{"run_id": "r", "expires": true}', 100.0, janitor.INVALID),
        ('{"run_id": "r", "expires": 100}', 100.0, janitor.EXPIRED),
        ('{"run_id": "r", "expires": 100.5}', 100.0, janitor.VALID),
    ],
)
def test_lease_states(value: str | None, now: float, state: str) -> None:
    assert janitor.lease_state(value, now)[0] == state


def test_decide_is_pure() -> None:
    assert janitor.decide({"minSize": 0, "desiredSize": 0}, janitor.EXPIRED, "x") == (
        False,
        "already at zero (min 0, desired 0); x",
    )
    assert janitor.decide({"minSize": 0, "desiredSize": 4}, janitor.VALID, "held")[0] is False
    assert janitor.decide({"minSize": 0, "desiredSize": 4}, janitor.MISSING, "none")[0] is True


def test_janitor_module_is_self_contained() -> None:
    """infra zips this one file: it must import nothing from benchkit."""
    source = Path(janitor.__file__).read_text()
    assert "benchkit" not in "".join(line for line in source.splitlines() if line.startswith(("import", "from")))


def test_infra_placeholder_and_released_leases_count_as_no_run(env: FakeStack) -> None:
    """infra creates the parameter as {"run_id": null, "holder": "pulumi", "expires": 0}; a run releases to the same."""
    env.set_scaling("bench", minSize=7, desiredSize=7)
    placeholder = json.dumps({"run_id": None, "holder": "pulumi", "expires": 0})
    boto3.client("ssm").put_parameter(
        Name=os.environ["BENCHKIT_LEASE_PARAMETER"], Value=placeholder, Type="String", Overwrite=True
    )
    result = janitor.handler({}, None)
    assert (result["lease"], result["groups"][0]["action"]) == (janitor.EXPIRED, janitor.SCALED_TO_ZERO)
    assert result["groups"][0]["reason"].startswith("no run holds the lease (released by pulumi)")
