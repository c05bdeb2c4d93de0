"""Time series of a run for the report, derived from its journal: what was offered, created, picked up by
the operator, running and finished at each moment, the backlog, the states, the node counts.

Times are seconds since the schedule origin t0 (run_start.t0_mono), on the monotonic clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchkit.results import journal, records
from benchkit.results.records import AppRecord
from benchkit.spark import states

GRID_POINTS = 400
STATE_ORDER = (states.NEW, states.SUBMITTED, states.RUNNING, states.SUCCEEDING, states.FAILING,
               states.COMPLETED, states.FAILED, states.SUBMISSION_FAILED, states.PENDING_RERUN)  # fmt: skip
"""States plotted (in stacking order); anything else is drawn as "other"."""


@dataclass
class Timeline:
    """A run's events on one time axis. Arrays hold event times in seconds since t0, sorted."""

    t0: float
    """the schedule origin on the monotonic clock; `apps` keep raw monotonic times."""
    duration: float
    offered: np.ndarray
    created: np.ndarray
    create_failed: np.ndarray
    processed: np.ndarray
    """first seen in a state other than NEW: the operator took the app off its queue."""
    running: np.ndarray
    terminal: np.ndarray
    left_backlog: np.ndarray
    """first of RUNNING or a terminal state: the app stopped waiting."""
    apps: dict[tuple[str, str], AppRecord]
    """results.records' per-app fold, raw monotonic times."""
    nodes: dict[str, list[tuple[float, int | None, int | None]]]
    """node group -> [(t, desired, ready)] from node_count events."""
    steps: list[tuple[float, float]]
    """ramp steps: (start_s, offered jobs/min); one entry for a constant rate."""

    def grid(self, points: int = GRID_POINTS) -> np.ndarray:
        return np.linspace(0.0, max(self.duration, 1.0), points)


def build(events: Iterable[dict[str, Any]]) -> Timeline:
    """Fold the journal (results.records, the same fold summary.json comes from) onto one time axis."""
    node_events: list[dict[str, Any]] = []

    def keep_nodes(stream: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for ev in stream:
            if ev.get("ev") == journal.NODE_COUNT:
                node_events.append(ev)
            yield ev

    apps, facts = records.fold(keep_nodes(events))
    start = facts.start
    t0 = float(start.get("t0_mono", start.get("mono", facts.first_mono or 0.0)))
    nodes: dict[str, list[tuple[float, int | None, int | None]]] = defaultdict(list)
    for ev in node_events:
        nodes[str(ev.get("group"))].append((ev["mono"] - t0, ev.get("desired"), ev.get("ready")))

    def times(values: Iterable[float | None]) -> np.ndarray:
        return np.sort(np.asarray([v - t0 for v in values if v is not None], dtype=float))

    created = [a for a in apps.values() if a.ok]
    steps = [(float(s), float(r)) for s, r in start.get("steps") or []]
    if not steps and start.get("target_per_min"):
        steps = [(0.0, float(start["target_per_min"]))]
    return Timeline(
        t0=t0,
        duration=max(0.0, (facts.last_mono or t0) - t0),
        offered=times(a.due for a in apps.values()),
        created=times(a.ack for a in created),
        create_failed=times(a.ack for a in apps.values() if a.ok is False),
        processed=times(a.processed for a in created),
        running=times(a.seen.get(states.RUNNING) for a in created),
        terminal=times(a.terminal for a in created),
        left_backlog=times(_left_backlog(a) for a in created),
        apps=apps, nodes=dict(nodes), steps=steps,
    )  # fmt: skip


def _left_backlog(app: AppRecord) -> float | None:
    times = [t for t in (app.seen.get(states.RUNNING), app.terminal) if t is not None]
    return min(times) if times else None


def cumulative(events: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """How many events happened at or before each grid time."""
    return np.searchsorted(events, grid, side="right").astype(float)


def rate_per_min(events: np.ndarray, grid: np.ndarray, window: float) -> np.ndarray:
    """Events per minute over the trailing `window` seconds at each grid time (ramps up over the first window)."""
    upto = cumulative(events, grid)
    before = np.searchsorted(events, grid - window, side="right").astype(float)
    rates: np.ndarray = 60.0 * (upto - before) / window
    return rates


def peak_level(up: np.ndarray, down: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The highest value of (#up events - #down events) within each grid interval [g(i-1), g(i)].

    A backlog changes at every event; sampled only at grid points, a short-lived one flickers between 0 and
    1 and real peaks fall between samples. The peak per interval is what a reader wants to see.
    """
    times = np.unique(np.concatenate([up, down, grid]))
    level = cumulative(up, times) - cumulative(down, times)
    starts = np.searchsorted(times, np.concatenate([grid[:1], grid[:-1]]), side="left")
    ends = np.searchsorted(times, grid, side="right")
    return np.asarray([level[a:b].max() for a, b in zip(starts, ends, strict=True)], dtype=float)


def smoothing_window(duration: float) -> float:
    """A rate window that shows the shape of the run: ~1/20 of it, between 2 s and 60 s."""
    return float(min(60.0, max(2.0, duration / 20.0)))


def offered_rate(steps: list[tuple[float, float]], grid: np.ndarray, end: float) -> np.ndarray:
    """The target rate (jobs/min) at each grid time; 0 after the last submission was due."""
    out = np.zeros_like(grid)
    for start_s, per_min in steps:
        out[grid >= start_s] = per_min
    out[grid > end] = 0.0
    return out


def states_over_time(tl: Timeline, grid: np.ndarray) -> dict[str, np.ndarray]:
    """Apps in each state at each grid time (an app is in the latest state seen; deleted apps leave)."""
    counts: dict[str, np.ndarray] = {}
    at = grid + tl.t0
    for app in tl.apps.values():
        ordered = sorted(app.seen.items(), key=lambda kv: kv[1])
        for i, (state, since) in enumerate(ordered):
            until = ordered[i + 1][1] if i + 1 < len(ordered) else app.deleted if app.deleted is not None else np.inf
            key = state if state in STATE_ORDER else "other"
            counts.setdefault(key, np.zeros_like(grid))
            counts[key] += (at >= since) & (at < until)
    order = [*STATE_ORDER, "other"]
    return {k: counts[k] for k in order if k in counts}
