"""Time sources. Rates and durations use the monotonic clock; timestamps use the UTC wall clock.

`time.monotonic()` is CLOCK_MONOTONIC on Linux: one clock for every process on the machine, so
monotonic readings taken by the submitter processes and by the tracker can be subtracted.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def mono() -> float:
    """Seconds on the machine-wide monotonic clock."""
    return time.monotonic()


def wall() -> float:
    """Seconds since the epoch (UTC)."""
    return time.time()


def iso(ts: float) -> str:
    """RFC 3339 UTC with microseconds, e.g. 2026-11-21T21:35:10.123456Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_k8s_time(value: str | None) -> float | None:
    """Parse a Kubernetes `metav1.Time` / `MicroTime` string into epoch seconds (None stays None)."""
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()
