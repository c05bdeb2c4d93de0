"""The open-model submission schedule: submission k is due at t0 + (time for k arrivals at the offered rate).

Pure (no Locust, no clock reads): the Locust users follow it, tests check it, and the summary uses the
same step boundaries for the saturation analysis. With N processes, process i takes every N-th slot of
the one global schedule, so the global rate is exact whatever the number of processes or users.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """From `start_s` (seconds after t0) on, arrivals come at `per_min` until the next step."""

    start_s: float
    per_min: float


@dataclass(frozen=True)
class RateProfile:
    """A piecewise-constant offered rate; the last step lasts for ever.

    >>> RateProfile.constant(600).due_offset(10)   # 600/min: one every 0.1 s
    1.0
    """

    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not self.steps or self.steps[0].start_s != 0.0:
            raise ValueError("a rate profile starts at offset 0")
        if any(s.per_min <= 0 for s in self.steps):
            raise ValueError("rates must be > 0")
        if any(b.start_s <= a.start_s for a, b in itertools.pairwise(self.steps)):
            raise ValueError("steps must be in increasing time order")

    @classmethod
    def constant(cls, per_min: float) -> RateProfile:
        return cls((Step(0.0, per_min),))

    @classmethod
    def ramp(cls, start: float, step: float, every_s: float, top: float | None, total: int) -> RateProfile:
        """START:STEP:EVERY[:MAX]: raise the rate by STEP every EVERY seconds, up to MAX, until `total` are due."""
        steps = [Step(0.0, start)]
        due = start * every_s / 60.0
        while due < total and (top is None or steps[-1].per_min < top):
            rate = start + step * len(steps)
            rate = min(rate, top) if top is not None else rate
            steps.append(Step(every_s * len(steps), rate))
            due += rate * every_s / 60.0
        return cls(tuple(steps))

    @functools.cached_property
    def arrivals_before(self) -> list[float]:
        """Cumulative (fractional) arrivals at the start of each step."""
        out = [0.0]
        for a, b in itertools.pairwise(self.steps):
            out.append(out[-1] + a.per_min * (b.start_s - a.start_s) / 60.0)
        return out

    def due_offset(self, k: int) -> float:
        """Seconds after t0 at which submission k (0-based) is due."""
        cumulative = self.arrivals_before
        i = bisect.bisect_right(cumulative, float(k)) - 1
        step = self.steps[i]
        return step.start_s + (k - cumulative[i]) * 60.0 / step.per_min

    def rate_at(self, offset_s: float) -> float:
        """The offered rate (per minute) at `offset_s` seconds after t0."""
        starts = [s.start_s for s in self.steps]
        return self.steps[max(0, bisect.bisect_right(starts, offset_s) - 1)].per_min

    def step_index(self, offset_s: float) -> int:
        starts = [s.start_s for s in self.steps]
        return max(0, bisect.bisect_right(starts, offset_s) - 1)


@dataclass(frozen=True)
class Slot:
    seq: int
    """Global job number: decides the app name and its namespace."""
    due_offset: float
    """Seconds after t0."""


def slots(profile: RateProfile, total: int, process_index: int = 0, processes: int = 1) -> Iterator[Slot]:
    """This process's share of the global schedule: jobs process_index, process_index + N, ...

    >>> [s.seq for s in slots(RateProfile.constant(60), 7, 1, 3)]
    [1, 4]
    """
    if not 0 <= process_index < processes:
        raise ValueError(f"process index {process_index} not in [0, {processes})")
    cumulative = profile.arrivals_before  # computed once: due_offset() is called per job
    for seq in range(process_index, total, processes):
        i = bisect.bisect_right(cumulative, float(seq)) - 1
        step = profile.steps[i]
        yield Slot(seq, step.start_s + (seq - cumulative[i]) * 60.0 / step.per_min)


def mono_origin(t0_wall: float, now_wall: float, now_mono: float) -> float:
    """The schedule origin on this process's monotonic clock, from the wall-clock start agreed at test start."""
    return t0_wall - now_wall + now_mono
