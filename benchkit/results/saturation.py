"""The saturation finder of a ramp run: for each offered-rate step, did the operator keep up with it?

A step holds when, in a window as long as the step and lagged by the step's median pick-up delay, the
operator picked up all but a small tolerance of the apps that arrived during the step (docs/observe.md).
"""

from __future__ import annotations

import math

import numpy as np

from benchkit.results.records import AppRecord, RunFacts
from benchkit.results.schema import Saturation, SaturationStep

TOLERANCE = (2, 0.05)
"""A step may fall short by at most max(2 apps, 5% of its arrivals): one app at each edge of the window."""
MIN_COMPLETE = 0.5
"""A step cut short by the end of the submissions is judged only if it lasted this part of its length."""


def analyse(records: list[AppRecord], facts: RunFacts) -> Saturation | None:
    """The steps of a ramp, which held, the sustained rate; None for a constant rate."""
    steps = facts.start.get("steps") or []
    t0 = facts.start.get("t0_mono")
    created = [r for r in records if r.ok and r.ack is not None]
    last_sent = max((r.sent for r in records if r.sent is not None), default=None)
    if len(steps) < 2 or t0 is None or last_sent is None:
        return None
    acks = np.sort(np.asarray([r.ack for r in created], dtype=float))
    picked = np.sort(np.asarray([t for r in created if (t := r.processed) is not None], dtype=float))
    table: list[SaturationStep] = []
    sustained = saturated_at = None
    for i, (start_s, rate) in enumerate(steps):
        per_min = float(rate)
        start = t0 + start_s
        end = min(t0 + steps[i + 1][0], last_sent) if i + 1 < len(steps) else last_sent
        planned_len = (steps[i + 1][0] - start_s) if i + 1 < len(steps) else None
        complete = end > start and (planned_len is None or end - start >= MIN_COMPLETE * planned_len)
        row = _step(created, acks, picked, (per_min, t0, start, end), complete)
        if complete and saturated_at is None:
            if row.held:
                sustained = per_min
            else:
                saturated_at = per_min
        table.append(row)
    return Saturation(sustained, saturated_at, table)


def _step(
    created: list[AppRecord],
    acks: np.ndarray,
    picked: np.ndarray,
    where: tuple[float, float, float, float],
    complete: bool,
) -> SaturationStep:
    """Arrivals in (start, end], and pick-ups in the same window lagged by their median pick-up delay.
    `where`: the step's offered rate per minute, the run's t0, the step's start and end (monotonic seconds).

    When the operator keeps up, every arrival is picked up one delay later, so the lagged window holds as
    many pick-ups as the step had arrivals. When it does not, no window as long as the step holds more
    than the operator's capacity times the step's length, whatever the lag.
    """
    per_min, t0, start, end = where
    delays = [(r.processed - r.ack) if r.processed is not None else math.inf
              for r in created if r.ack is not None and start < r.ack <= end]  # fmt: skip
    arrivals = len(delays)
    lag = float(np.median(delays)) if delays else 0.0  # never picked up counts as infinitely late
    picked_up = _count(picked, start + lag, end + lag) if math.isfinite(lag) else 0
    tolerance = _round(max(TOLERANCE[0], TOLERANCE[1] * arrivals), 1)

    def backlog(t: float) -> int:
        return _count(acks, -math.inf, t) - _count(picked, -math.inf, t)

    return SaturationStep(
        per_min=per_min,
        start_s=_round(start - t0),
        end_s=_round(end - t0),
        arrivals=arrivals,
        picked_up=picked_up,
        pickup_lag_s=_round(lag) if math.isfinite(lag) else None,
        tolerance=tolerance,
        backlog_start=backlog(start),
        backlog_mid=backlog((start + end) / 2),
        backlog_end=backlog(end),
        complete=complete,
        held=complete and picked_up >= arrivals - tolerance,
    )


def _count(times: np.ndarray, after: float, until: float) -> int:
    """How many sorted times lie in (after, until]."""
    return int(np.searchsorted(times, until, side="right") - np.searchsorted(times, after, side="right"))


def _round(value: float, digits: int = 3) -> float:
    return round(float(value), digits)
