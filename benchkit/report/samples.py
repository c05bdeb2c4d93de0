"""Per-app latency samples by phase (seconds), for CDFs and significance tests.

Same definitions as summary.json's `latency_s` (client-observed monotonic times; "create" is the
acknowledged create call), so a CDF's quantiles match the summary's figures.
"""

from __future__ import annotations

from collections.abc import Callable

from benchkit.report.timeline import Timeline
from benchkit.results.records import AppRecord
from benchkit.spark import states

PHASES = ("create_call", "create_to_submitted", "create_to_running", "create_to_terminal",
          "submitted_to_running", "status_lag")  # fmt: skip
"""The phases reports chart and compare, in lifecycle order."""


def phase_samples(timeline: Timeline) -> dict[str, list[float]]:
    ok = [a for a in timeline.apps.values() if a.ok and a.ack is not None]
    return {
        "create_call": [a.ack - a.due for a in ok if a.ack is not None and a.due is not None],
        "create_to_submitted": _since_ack(ok, lambda a: a.seen.get(states.SUBMITTED)),
        "create_to_running": _since_ack(ok, lambda a: a.seen.get(states.RUNNING)),
        "create_to_terminal": _since_ack(ok, lambda a: a.terminal),
        "submitted_to_running": [a.seen[states.RUNNING] - a.seen[states.SUBMITTED] for a in ok
                                 if states.RUNNING in a.seen and states.SUBMITTED in a.seen],
        "status_lag": [a.seen[states.RUNNING] - a.driver_seen["Running"] for a in timeline.apps.values()
                       if states.RUNNING in a.seen and "Running" in a.driver_seen],
    }  # fmt: skip


def _since_ack(apps: list[AppRecord], when: Callable[[AppRecord], float | None]) -> list[float]:
    return [t - a.ack for a in apps if (t := when(a)) is not None and a.ack is not None]
