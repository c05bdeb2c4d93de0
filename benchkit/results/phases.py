"""The latency phases of an app: one definition each, from which everything else derives.

Each phase has a name (summary.json's `latency_s.<name>`, an SLO path, a compare row, a table row, a
suite column), a meaning, and how it is measured from an app's record (results.records.AppRecord). The
samples are taken over apps whose create the API server acknowledged; an app that never reached a
phase's end contributes nothing to it. Client times are monotonic; `server_queue_wait` alone uses the
server's timestamps (1 s resolution on a real API server).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from benchkit.clock import parse_k8s_time
from benchkit.results.records import AppRecord
from benchkit.results.stats import Quantiles, quantiles
from benchkit.spark import states


@dataclass(frozen=True)
class Phase:
    name: str
    meaning: str
    measure: Callable[[AppRecord], float | None]
    """Seconds this phase took for one app, or None when the app has no such span."""

    def samples(self, records: Iterable[AppRecord]) -> list[float]:
        """Per-app seconds, over apps whose create was acknowledged, in record order."""
        out = []
        for r in records:
            if r.ok:
                value = self.measure(r)
                if value is not None and math.isfinite(value):
                    out.append(value)
        return out


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


def _server_span(r: AppRecord, start_key: str, end_key: str) -> float | None:
    return _span(parse_k8s_time(r.server.get(start_key)), parse_k8s_time(r.server.get(end_key)))


PHASES: tuple[Phase, ...] = (
    Phase("create_call", "Due time → create acknowledged (coordinated-omission corrected: includes lateness "
          "and retries).", lambda r: _span(r.due, r.ack)),
    Phase("create_call_from_send", "First send → create acknowledged (what a closed-loop tool would report).",
          lambda r: _span(r.sent, r.ack)),
    Phase("create_to_submitted", "Acknowledged → first seen SUBMITTED: the operator's queue wait plus "
          "spark-submit.", lambda r: _span(r.ack, r.seen.get(states.SUBMITTED))),
    Phase("create_to_running", "Acknowledged → first seen RUNNING: the start latency a user waits.",
          lambda r: _span(r.ack, r.seen.get(states.RUNNING))),
    Phase("create_to_terminal", "Acknowledged → first seen COMPLETED or FAILED.",
          lambda r: _span(r.ack, r.terminal)),
    Phase("submitted_to_running", "First seen SUBMITTED → first seen RUNNING: driver scheduling and start.",
          lambda r: _span(r.seen.get(states.SUBMITTED), r.seen.get(states.RUNNING))),
    Phase("status_lag", "Driver pod seen Running → app seen RUNNING: how far the app's status trails its pod.",
          lambda r: _span(r.driver_seen.get("Running"), r.seen.get(states.RUNNING))),
    Phase("server_queue_wait", "Server creationTimestamp → lastSubmissionAttemptTime (server clock, 1 s "
          "resolution on a real cluster).",
          lambda r: _server_span(r, "creationTimestamp", "lastSubmissionAttemptTime")),
)  # fmt: skip
"""In lifecycle order."""
NAMES = tuple(p.name for p in PHASES)
BY_NAME = {p.name: p for p in PHASES}


def samples(records: Iterable[AppRecord]) -> dict[str, list[float]]:
    """Per-app seconds of every phase (the CDFs and significance tests use these)."""
    ordered = list(records)
    return {p.name: p.samples(ordered) for p in PHASES}


def summarise(records: Iterable[AppRecord]) -> dict[str, Quantiles]:
    """summary.json's `latency_s`: the quantiles of every phase's samples."""
    return {name: quantiles(values) for name, values in samples(records).items()}
