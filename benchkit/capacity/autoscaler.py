"""The step autoscaler for the bench node group (seed 004's idea): size the group from demand in bounded steps.

`decide` is a pure function (observation + policy -> decision with its reason); `Autoscaler` is the loop
that observes, decides, applies the decision through `nodegroups` and journals every decision as a
`node_count` event, so the report can plot node count over time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchkit.capacity.periodic import Periodic
from benchkit.errors import ConfigError

GROUP_ROLE = "bench"


@dataclass(frozen=True)
class Policy:
    """Bounds and pacing of the autoscaler. Times are seconds."""

    min_nodes: int
    max_nodes: int
    pods_per_node: int = 180
    """How many benchmark pods one node holds (seed 002: 36,000 pods on 200 nodes)."""
    step_up: int = 20
    """At most this many nodes added per decision."""
    step_down: int = 10
    cooldown_up: float = 60.0
    """Minimum time after any change before the next scale-up."""
    cooldown_down: float = 300.0
    """Minimum time after any change before a scale-down (nodes are slow to come back)."""
    headroom: float = 0.0
    """Extra fraction of demand to provision, e.g. 0.1 for 10 %."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_nodes <= self.max_nodes:
            raise ConfigError(f"autoscale: expected 0 <= MIN <= MAX, got {self.min_nodes}:{self.max_nodes}")
        if self.pods_per_node < 1 or self.step_up < 1 or self.step_down < 1:
            raise ConfigError("autoscale: pods-per-node and steps must be >= 1")
        if self.cooldown_up < 0 or self.cooldown_down < 0 or self.headroom < 0:
            raise ConfigError("autoscale: cooldowns and headroom must be >= 0")


@dataclass(frozen=True)
class Observation:
    """What the loop sees at one tick."""

    now: float
    """Monotonic seconds."""
    desired: int
    """The group's current desired size."""
    active_pods: int
    """Pods of the run that exist and are not finished (Pending + Running)."""
    pending_pods: int
    """Of those, pods not yet scheduled (waiting for a node)."""
    backlog_pods: int = 0
    """Pods still to come: apps created but without all their pods yet, plus submissions due soon."""
    last_change: float | None = None
    """Monotonic time of the last size change, None if none yet."""


@dataclass(frozen=True)
class Decision:
    desired: int
    reason: str
    needed: int
    """Nodes the demand calls for (before bounds, steps and cooldowns)."""

    def changed(self, current: int) -> bool:
        return self.desired != current


def nodes_needed(obs: Observation, policy: Policy) -> int:
    demand = (obs.active_pods + obs.backlog_pods) * (1.0 + policy.headroom)
    return math.ceil(demand / policy.pods_per_node) if demand > 0 else 0


def decide(obs: Observation, policy: Policy) -> Decision:  # noqa: PLR0911 - one return per documented case
    """The next desired size of the group, and why. Pure: same input, same answer.

    >>> decide(Observation(now=100, desired=10, active_pods=3600, pending_pods=1800), Policy(0, 200)).desired
    20
    """
    needed = nodes_needed(obs, policy)
    target = min(max(needed, policy.min_nodes), policy.max_nodes)
    current = obs.desired
    demand = (
        f"{obs.active_pods + obs.backlog_pods} pods wanted ({obs.pending_pods} pending, {obs.backlog_pods} to come)"
    )
    since = math.inf if obs.last_change is None else obs.now - obs.last_change
    if current > policy.max_nodes:
        return Decision(policy.max_nodes, f"{current} is above MAX: set {policy.max_nodes}", needed)
    if current < policy.min_nodes:  # at once, and on up to the need (one step), whatever the cooldown
        new = min(target, policy.min_nodes + policy.step_up) if target > policy.min_nodes else policy.min_nodes
        return Decision(new, f"{current} is below MIN {policy.min_nodes}: scale up {current} -> {new}: "
                             f"{demand} need {needed} node(s)", needed)  # fmt: skip
    if target > current:
        if since < policy.cooldown_up:
            left = policy.cooldown_up - since
            return Decision(current, f"hold at {current}: {demand} need {needed}, cooldown {left:.0f} s left", needed)
        new = min(target, current + policy.step_up)
        capped = " (at max)" if new == policy.max_nodes and needed > policy.max_nodes else ""
        return Decision(new, f"scale up {current} -> {new}{capped}: {demand} need {needed} node(s)", needed)
    if target < current:
        if obs.pending_pods > 0:
            return Decision(current, f"hold at {current}: {obs.pending_pods} pod(s) still pending", needed)
        if since < policy.cooldown_down:
            left = policy.cooldown_down - since
            return Decision(
                current, f"hold at {current}: {demand} need {needed}, scale-down cooldown {left:.0f} s left", needed
            )
        new = max(target, current - policy.step_down)
        return Decision(new, f"scale down {current} -> {new}: {demand} need {needed} node(s)", needed)
    return Decision(current, f"hold at {current}: {demand} need {needed} node(s)", needed)


@dataclass(frozen=True)
class Tick:
    """One loop iteration, as journalled."""

    observation: Observation
    decision: Decision
    ready: int


class Autoscaler:
    """The loop: every `interval` seconds observe -> decide -> apply (if changed) -> record.

    `observe` returns (Observation without last_change, ready node count); `apply(n)` sets the group's
    desired size; `record(tick)` journals it. All three are injected so the loop runs against EKS, the
    twin, or a test double alike.
    """

    def __init__(
        self,
        policy: Policy,
        observe: Callable[[], tuple[Observation, int]],
        apply: Callable[[int], None],
        record: Callable[[Tick], None],
        *,
        interval: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.interval = interval
        self.ticks: list[Tick] = []
        self._observe, self._apply, self._record, self._clock = observe, apply, record, clock
        self._last_change: float | None = None
        self._loop = Periodic("benchkit-autoscaler", interval, self.step, first_now=True)
        self.errors = self._loop.errors
        """One line per failed tick (the next tick retries)."""

    def step(self) -> Tick:
        """One observe/decide/apply/record round (the loop body; tests call it directly)."""
        raw, ready = self._observe()
        obs = Observation(raw.now, raw.desired, raw.active_pods, raw.pending_pods, raw.backlog_pods,
                          self._last_change)  # fmt: skip
        decision = decide(obs, self.policy)
        if decision.changed(obs.desired):
            self._apply(decision.desired)
            self._last_change = self._clock()
        tick = Tick(obs, decision, ready)
        self.ticks.append(tick)
        self._record(tick)
        return tick

    def start(self) -> None:
        """Tick every `interval` s; the first tick at once unless step() was already called (the run does)."""
        self._loop.first_now = not self.ticks
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop(timeout=60)
