"""summary.json's schema: typed dataclasses, their JSON form, and dotted-path lookup (SLOs, compare, suites).

SCHEMA is written into every summary.json. Version 2 (this one) added `rate.offered_per_min`,
`rate.sent_per_min` and `rate.sent_ratio`, made `rate.achieved_*` count acknowledged creates only (in
version 1 they counted sends), added p95 to every latency phase and wrote every quantile field even when
a phase has no samples. Reports and `benchkit compare` rebuild a run's summary from its journal, so
runs written with version 1 read the same as new ones.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from benchkit.results.stats import Quantiles

SCHEMA = 2


@dataclass(frozen=True)
class Jobs:
    """submitted == created + create_failed + outcome_unknown (the last is 0 unless the run was killed)."""

    planned: int | None
    submitted: int
    created: int
    """Creates the API server acknowledged (2xx, after retries)."""
    create_failed: int
    outcome_unknown: int
    not_submitted: int
    completed: int
    failed: int
    unfinished: int
    seen_not_sent: int


@dataclass(frozen=True)
class Rate:
    """What was offered, what was sent, and what the API server acknowledged (achieved), in jobs/min."""

    target_per_min: float | None
    """The constant rate asked for (--jobs-per-min); null for a ramp."""
    offered_per_min: float | None
    """The schedule's rate over the jobs sent: (n - 1) / (last due time - first due time)."""
    sent_per_min: float | None
    """Jobs sent per minute: (n - 1) / (last send - first send)."""
    achieved_per_min: float | None
    """Creates acknowledged per minute of sending: sent_per_min x created / submitted."""
    sent_ratio: float | None
    """sent / offered: 1.0 means the sends kept to the schedule."""
    achieved_ratio: float | None
    """achieved / offered: near 1 only when the sends kept to the schedule and nearly all were acknowledged."""
    max_lateness_s: float | None
    lateness_p99_s: float | None


@dataclass(frozen=True)
class Operator:
    apps_per_min: float | None


@dataclass(frozen=True)
class Api:
    create_attempts: int
    retries: int
    retries_by_cause: dict[str, int]
    final_status: dict[str, int]
    inflight_cap_hits: int


@dataclass(frozen=True)
class Tracking:
    apps_seen: int
    pods_seen: int
    api_requests: int | None
    api_requests_per_job: float | None
    observed_by_list: int
    inferred: int
    watch_events: dict[str, int]
    deleted_by_benchkit: int
    deleted_by_server: int


@dataclass
class NamespaceCounts:
    submitted: int = 0
    created: int = 0
    completed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class SaturationStep:
    per_min: float
    start_s: float
    end_s: float
    arrivals: int
    picked_up: int
    pickup_lag_s: float | None
    tolerance: float
    backlog_start: int
    backlog_mid: int
    backlog_end: int
    complete: bool
    held: bool


@dataclass(frozen=True)
class Saturation:
    sustained_per_min: float | None
    saturated_at_per_min: float | None
    steps: list[SaturationStep] = field(default_factory=list)


@dataclass(frozen=True)
class Cleanup:
    deleted: int | None
    remaining: int | None


@dataclass(frozen=True)
class Summary:
    """A run's figures, derived only from its journal (results.summary.build)."""

    schema: int
    run_id: str | None
    scenario: str | None
    end: str
    duration_s: float | None
    jobs: Jobs
    rate: Rate
    latency_s: dict[str, Quantiles]
    """phase name (results.phases) -> quantiles in seconds."""
    operator: Operator
    api: Api
    tracking: Tracking
    namespaces: dict[str, NamespaceCounts]
    saturation: Saturation | None
    cleanup: Cleanup | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to summary.json."""
        return dataclasses.asdict(self)

    def value(self, path: str) -> float | None:
        """The number at a dotted path (`latency_s.create_to_running.p95`), or None when absent or null."""
        return lookup(self, path)


def lookup(node: Any, path: str) -> float | None:
    """The number at a dotted path of a Summary (or of a summary.json mapping), or None when absent or null."""
    for key in path.split("."):
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            names = {f.name for f in dataclasses.fields(node)}
            if key not in names:
                return None
            node = getattr(node, key)
        elif isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            return None
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        return None
    return float(node)


def numeric_fields(section: type[Any]) -> tuple[str, ...]:
    """The fields of a section dataclass that hold a number (what an SLO may name)."""
    hints = typing.get_type_hints(section)
    return tuple(f.name for f in dataclasses.fields(section) if _is_number(hints[f.name]))


def _is_number(hint: Any) -> bool:
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    kinds = [a for a in args if a is not type(None)]
    return bool(kinds) and all(k in (int, float) for k in kinds)
