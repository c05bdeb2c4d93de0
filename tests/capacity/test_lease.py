"""The run's lease against a moto SSM: acquire, refuse a second run, renew, expire, release, keeper thread."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

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
        with contextlib.suppress(ConfigError):  # a thief that loses a race to a renewal steps aside: try again
            thief.acquire()  # repeat until the keeper reads the thief's value
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


def test_a_run_takes_over_a_nodes_scale_hold_and_hands_it_back(param: str) -> None:
    clock = Clock()
    hold = lease.Lease(param, janitor.NODES_SCALE, holder="alice@laptop", ttl=1800, clock=clock)
    hold.acquire()
    held = _value(param)
    assert held == {"run_id": "nodes-scale", "holder": "alice@laptop", "expires": clock.t + 1800}
    with pytest.raises(ConfigError, match=r"stack is busy: lease held by `benchkit nodes scale` \(alice@laptop\)"):
        lease.Lease(param, "run-plain", clock=clock).acquire()  # only a lease that may take it over
    run = lease.Lease(param, "run-a", ttl=300, takes_over=(janitor.NODES_SCALE,), clock=clock)
    run.acquire()
    assert _value(param)["run_id"] == "run-a" and run.took_over == held  # type: ignore[index]
    clock.t += 600
    assert run.release() is True
    assert _value(param) == held  # back to the hold, with its own expiry (1200 s left)
    run.acquire()
    clock.t += 1200  # the hold has run out meanwhile: released, not handed back
    assert run.release() is True and _value(param)["run_id"] is None  # type: ignore[index]


def test_a_hold_is_not_handed_back_after_teardown_and_never_beats_a_run(param: str) -> None:
    lease.hold(param, "us-west-2", 1800)
    run = lease.Lease(param, "run-a", takes_over=(janitor.NODES_SCALE,))
    run.acquire()
    assert run.release(hand_back=False) is True and _value(param)["run_id"] is None  # type: ignore[index]
    run.acquire()
    with pytest.raises(ConfigError, match=r"^stack is busy: lease held by run run-a "):
        lease.hold(param, "us-west-2", 1800)
    assert lease.busy(param, "us-west-2", janitor.NODES_SCALE) is not None
    assert lease.busy(param, "us-west-2", "run-a") is None
    assert lease.clear(param, "us-west-2", janitor.NODES_SCALE) is None  # a run's lease: not the hold's to clear


class Interleaved:
    """An SSM client that lets another writer in right before our n-th PutParameter or after it."""

    def __init__(self, before_put: int | None = None, after_put: int | None = None, value: str = "") -> None:
        self.ssm = boto3.client("ssm")
        self.before_put, self.after_put, self.value, self.puts = before_put, after_put, value, 0

    def get_parameter(self, **kwargs: Any) -> Any:
        return self.ssm.get_parameter(**kwargs)

    def put_parameter(self, **kwargs: Any) -> Any:
        self.puts += 1
        if self.puts == self.before_put:
            self.ssm.put_parameter(Name=kwargs["Name"], Value=self.value, Type="String", Overwrite=True)
        answer = self.ssm.put_parameter(**kwargs)
        if self.puts == self.after_put:
            self.ssm.put_parameter(Name=kwargs["Name"], Value=self.value, Type="String", Overwrite=True)
        return answer


def _lease_json(run_id: str, expires_in: float = 300) -> str:
    return json.dumps({"run_id": run_id, "holder": "bob", "expires": time.time() + expires_in})


def test_a_writer_between_our_read_and_write_wins_and_gets_its_lease_back(param: str) -> None:
    ssm = Interleaved(before_put=1, value=_lease_json("run-bob"))
    with pytest.raises(ConfigError, match=r"^stack is busy: run run-bob wrote the lease .* at the same moment"):
        lease.Lease(param, "run-a", ssm=ssm).acquire()
    assert _value(param)["run_id"] == "run-bob"  # type: ignore[index]


def test_a_writer_right_after_ours_is_seen_on_read_back(param: str) -> None:
    ssm = Interleaved(after_put=1, value=_lease_json("run-bob"))
    mine = lease.Lease(param, "run-a", ssm=ssm, sleep=lambda s: None)
    with pytest.raises(ConfigError, match=r"^stack is busy: run run-bob took the lease .* at the same moment"):
        mine.acquire()
    assert mine.expires is None and _value(param)["run_id"] == "run-bob"  # type: ignore[index]
