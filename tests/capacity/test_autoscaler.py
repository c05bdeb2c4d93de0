"""The step autoscaler: the pure decision, table-tested, and the loop with injected observe/apply/record."""

from __future__ import annotations

import time

import pytest

from benchkit.capacity.autoscaler import Autoscaler, Decision, Observation, Policy, Tick, decide
from benchkit.errors import ConfigError

P = Policy(min_nodes=2, max_nodes=100, pods_per_node=100, step_up=20, step_down=10, cooldown_up=60, cooldown_down=300)


def obs(desired: int, active: int, pending: int = 0, backlog: int = 0, since: float | None = None) -> Observation:
    return Observation(now=1000.0, desired=desired, active_pods=active, pending_pods=pending, backlog_pods=backlog,
                       last_change=None if since is None else 1000.0 - since)  # fmt: skip


@pytest.mark.parametrize(
    ("o", "desired", "reason"),
    [
        # (observation, new desired, start of the reason)
        (obs(2, 0), 2, "hold at 2: 0 pods wanted"),  # idle at min
        (obs(0, 0), 2, "0 is below MIN 2: scale up 0 -> 2: 0 pods wanted"),  # below min: raised at once
        (obs(0, 900, backlog=900), 18, "0 is below MIN 2: scale up 0 -> 18: 1800 pods wanted"),  # and on to the need
        (obs(0, 9000, since=5), 22, "0 is below MIN 2: scale up 0 -> 22"),  # one step past MIN, no cooldown
        (obs(150, 0), 100, "150 is above MAX: set 100"),  # above max: lowered at once
        (obs(10, 1500, pending=500), 15, "scale up 10 -> 15: 1500 pods wanted (500 pending, 0 to come) need 15"),
        (obs(10, 5000, pending=4000), 30, "scale up 10 -> 30"),  # bounded by step_up (need 50)
        (obs(10, 1000, backlog=900), 19, "scale up 10 -> 19: 1900 pods wanted (0 pending, 900 to come)"),
        (obs(90, 20000, pending=9000), 100, "scale up 90 -> 100 (at max)"),  # need 200, capped at max
        (obs(100, 20000, pending=9000), 100, "hold at 100"),  # at max: nothing more to do
        (
            obs(10, 5000, pending=4000, since=30),
            10,
            "hold at 10: 5000 pods wanted (4000 pending, 0 to come) need 50, cooldown 30 s left",
        ),
        (obs(10, 5000, pending=4000, since=60), 30, "scale up 10 -> 30"),  # cooldown just over
        (obs(50, 1000, since=400), 40, "scale down 50 -> 40: 1000 pods wanted"),  # bounded by step_down
        (obs(12, 1000, since=400), 10, "scale down 12 -> 10"),  # lands on the need
        (obs(50, 1000, pending=3, since=400), 50, "hold at 50: 3 pod(s) still pending"),  # never shrink while pending
        (
            obs(50, 1000, since=100),
            50,
            "hold at 50: 1000 pods wanted (0 pending, 0 to come) need 10, scale-down cooldown 200 s left",
        ),
        (obs(5, 0, since=1000), 2, "scale down 5 -> 2"),  # never below min
        (obs(15, 1500), 15, "hold at 15: 1500 pods wanted (0 pending, 0 to come) need 15 node(s)"),  # exactly right
    ],
)
def test_decisions(o: Observation, desired: int, reason: str) -> None:
    decision = decide(o, P)
    assert decision.desired == desired
    assert decision.reason.startswith(reason), decision.reason
    assert decide(o, P) == decision  # pure


def test_headroom_and_rounding() -> None:
    policy = Policy(0, 100, pods_per_node=100, headroom=0.1, step_up=100)
    assert decide(obs(0, 1000), policy).desired == 11  # 1100 pods -> 11 nodes
    assert decide(obs(0, 1), policy).desired == 1  # any demand needs a node
    assert decide(obs(0, 0), policy).needed == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_nodes": 5, "max_nodes": 2}, "0 <= MIN <= MAX"),
        ({"min_nodes": -1, "max_nodes": 2}, "0 <= MIN <= MAX"),
        ({"min_nodes": 0, "max_nodes": 2, "pods_per_node": 0}, "must be >= 1"),
        ({"min_nodes": 0, "max_nodes": 2, "cooldown_up": -1}, "must be >= 0"),
    ],
)
def test_bad_policies(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Policy(**kwargs)


def test_the_loop_applies_changes_records_every_tick_and_honours_cooldown() -> None:
    now = [0.0]
    group = {"desired": 0}
    demand = iter([(4000, 4000), (4000, 2000), (4000, 0), (4000, 0), (0, 0)])
    applied: list[int] = []
    recorded: list[Tick] = []

    def observe() -> tuple[Observation, int]:
        active, pending = next(demand)
        return Observation(now[0], group["desired"], active, pending), group["desired"]

    def apply(n: int) -> None:
        applied.append(n)
        group["desired"] = n

    scaler = Autoscaler(Policy(0, 100, pods_per_node=100, step_up=30, cooldown_up=60, cooldown_down=120),
                        observe, apply, recorded.append, clock=lambda: now[0])  # fmt: skip
    reasons = []
    for t in (0, 30, 61, 200, 400):
        now[0] = float(t)
        reasons.append(scaler.step().decision.reason)
    assert applied == [30, 40, 30]
    assert [t.decision.desired for t in recorded] == [30, 30, 40, 40, 30]
    assert reasons[1].startswith("hold at 30: 4000 pods wanted (2000 pending, 0 to come) need 40, cooldown 30 s left")
    assert reasons[3].startswith("hold at 40")  # the demand fits: nothing to do
    assert reasons[4].startswith("scale down 40 -> 30: 0 pods wanted")  # need 0, but step_down is 10
    assert isinstance(recorded[0].decision, Decision) and recorded[0].ready == 0


def test_a_first_decision_made_by_hand_is_not_repeated_by_the_loop() -> None:
    """The run calls step() before the first submission, then start(): one tick at t0, the next a period later."""
    recorded: list[Tick] = []
    scaler = Autoscaler(Policy(0, 10, pods_per_node=100), lambda: (Observation(0.0, 0, 0, 0), 0),
                        lambda n: None, recorded.append, interval=0.2)  # fmt: skip
    scaler.step()
    scaler.start()
    time.sleep(0.1)
    scaler.stop()
    assert len(recorded) == 1
    loop = Autoscaler(Policy(0, 10, pods_per_node=100), lambda: (Observation(0.0, 0, 0, 0), 0),
                      lambda n: None, recorded.append, interval=30)  # fmt: skip
    loop.start()  # without a decision by hand the loop makes the first one at once
    deadline = time.monotonic() + 10
    while len(recorded) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    assert len(recorded) == 2


def test_run_demand_counts_jobs_due_on_the_runs_schedule() -> None:
    from rich.console import Console

    from benchkit.load.schedule import RateProfile
    from benchkit.orchestrate.autoscale_run import RunDemand
    from benchkit.orchestrate.context import RunContext
    from benchkit.settings import run as run_settings

    ctx = RunContext(settings=run_settings.build(overrides={"total_jobs": 100}), console=Console(), out=Console())
    demand = RunDemand(ctx, ref=None, groups=None, profile=RateProfile.ramp(60, 60, 30, None, 100),  # type: ignore[arg-type]
                       pods_per_app=6)  # fmt: skip
    assert [demand.due_by(t) for t in (-1, 0, 0.5, 1, 29.9, 30, 30.5, 45)] == [0, 1, 1, 2, 30, 31, 32, 61]
    assert demand.due_by(10_000) == 100  # never more than the run's jobs
