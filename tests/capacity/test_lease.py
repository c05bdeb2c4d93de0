"""The run's lease against a moto SSM: acquire, refuse a second run, renew, expire, release, keeper thread."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from benchkit.capacity import janitor, lease
from benchkit.errors import ApiError, ConfigError


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _value(param: str) -> dict[str, object] | None:
    try:
        return json.loads(boto3.client("ssm").get_parameter(Name=param)["Parameter"]["Value"])
    except boto3.client("ssm").exceptions.ParameterNotFound:
        return None


def test_acquire_renew_release(param: str) -> None:
    clock = Clock()
    mine = lease.Lease(param, "run-a", holder="me", ttl=300, clock=clock)
    mine.acquire()
    assert _value(param) == {"run_id": "run-a", "holder": "me", "expires": clock.t + 300}
    clock.t += 60
    mine.renew()
    assert _value(param)["expires"] == clock.t + 300  # type: ignore[index]
    assert mine.release() is True
    released = _value(param)  # the parameter stays (infra owns it): an expired lease held by no run
    assert released == {"run_id": None, "holder": "me", "expires": 0}
    assert janitor.lease_state(json.dumps(released), clock.t)[1] == "no run holds the lease (released by me)"
    assert mine.release() is False  # nothing left to release
    with pytest.raises(ApiError, match="was released or removed"):
        mine.renew()


def test_a_second_run_is_refused_until_the_lease_expires(param: str) -> None:
    clock = Clock()
    lease.Lease(param, "run-a", holder="alice@laptop", ttl=300, clock=clock).acquire()
    other = lease.Lease(param, "run-b", holder="bob", ttl=300, clock=clock)
    with pytest.raises(ConfigError, match=r"stack is busy: lease held by run run-a \(alice@laptop\) for 300 s more"):
        other.acquire()
    clock.t += 301  # alice's laptop died: no renewals
    state, why = janitor.lease_state(boto3.client("ssm").get_parameter(Name=param)["Parameter"]["Value"], clock.t)
    assert (state, why.split(" expired")[0]) == (janitor.EXPIRED, "lease of run run-a (alice@laptop)")
    other.acquire()
    assert _value(param)["run_id"] == "run-b"  # type: ignore[index]


def test_renew_refuses_a_lease_taken_over(param: str) -> None:
    clock = Clock()
    mine = lease.Lease(param, "run-a", ttl=10, clock=clock)
    mine.acquire()
    clock.t += 11
    lease.Lease(param, "run-b", ttl=10, clock=clock).acquire()
    with pytest.raises(ApiError, match="now belongs to run run-b"):
        mine.renew()
    assert mine.release() is False  # not ours any more: left alone
    assert _value(param)["run_id"] == "run-b"  # type: ignore[index]


def test_keeper_renews_in_the_background_and_releases(param: str) -> None:
    keeper = lease.LeaseKeeper(lease.Lease(param, "run-k", ttl=5), every=0.05)
    with keeper:
        first = _value(param)["expires"]  # type: ignore[index]
        deadline = time.monotonic() + 10
        while keeper.renewals < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert keeper.renewals >= 3
        assert _value(param)["expires"] > first  # type: ignore[index,operator]
        assert janitor.lease_state(json.dumps(_value(param)), time.time())[0] == janitor.VALID
    assert _value(param)["run_id"] is None  # type: ignore[index]
    assert keeper.failures == []


def test_keeper_reports_renewal_failures(param: str) -> None:
    errors: list[Exception] = []
    keeper = lease.LeaseKeeper(lease.Lease(param, "run-k", ttl=5), every=0.05, on_error=errors.append)
    keeper.start()
    thief = lease.Lease(param, "run-thief", ttl=5, clock=lambda: time.time() + 3600)  # sees run-k's lease expired
    deadline = time.monotonic() + 20
    while not errors and time.monotonic() < deadline:
        thief.acquire()  # SSM has no compare-and-set: repeat until the keeper reads the thief's value
        time.sleep(0.05)
    assert keeper.stop() is False  # not ours: not released
    assert "now belongs to run run-thief" in str(errors[0])
    assert keeper.failures


def test_clear_for_teardown(param: str) -> None:
    assert lease.parameter_name("dev") == "/benchkit/dev/lease"  # the contract with infra
    assert lease.clear(param, "us-west-2") is None  # no parameter
    placeholder = json.dumps({"run_id": None, "holder": "pulumi", "expires": 0})  # what infra creates
    boto3.client("ssm").put_parameter(Name=param, Value=placeholder, Type="String", Overwrite=True)
    assert lease.clear(param, "us-west-2") is None  # nobody holds it: nothing to do
    lease.Lease(param, "run-a").acquire()  # acquiring over the placeholder works
    assert lease.clear(param, "us-west-2", run_id="run-other") is None
    assert _value(param)["run_id"] == "run-a"  # type: ignore[index]
    assert lease.clear(param, "us-west-2", run_id="run-a") == "run-a"
    assert _value(param)["run_id"] is None  # type: ignore[index]
    assert lease.clear(param, "us-west-2") is None  # idempotent
    boto3.client("ssm").put_parameter(Name=param, Value="garbage", Type="String", Overwrite=True)
    assert lease.clear(param, "us-west-2") == "(unreadable lease)"
