"""What a submitting process needs to know, as one JSON-able value (sent to worker processes on stdin)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from benchkit.load.schedule import RateProfile, Step


@dataclass(frozen=True)
class LoadSpec:
    run_id: str
    scenario: str
    namespaces: tuple[str, ...]
    total: int
    steps: tuple[tuple[float, float], ...]
    """The offered-rate profile: (start offset seconds, jobs/min)."""
    app_seconds: float
    max_inflight: int
    """Across all processes; each process caps at its share (rounded up)."""
    processes: int
    users: int
    template: dict[str, Any]
    template_source: str

    @property
    def profile(self) -> RateProfile:
        return RateProfile(tuple(Step(float(s), float(r)) for s, r in self.steps))

    def inflight_per_process(self) -> int:
        return max(1, math.ceil(self.max_inflight / self.processes))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadSpec:
        data = dict(data)
        data["namespaces"] = tuple(data["namespaces"])
        data["steps"] = tuple((float(s), float(r)) for s, r in data["steps"])
        return cls(**data)
