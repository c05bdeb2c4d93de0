"""The one percentile set benchkit reports, everywhere: summary.json, the report, compare, the table, suites.

Exact quantiles (numpy, linear interpolation) over the values given, in seconds rounded to the millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

PERCENTILES = (50, 90, 95, 99)
"""p50, p90, p95 and p99 (plus max): the median, the bulk, the SLO-style tail and the far tail."""
STATS = ("count", *(f"p{q}" for q in PERCENTILES), "max")
"""The fields of every Quantiles, in order (also the SLO grammar's stats)."""
DIGITS = 3


@dataclass(frozen=True)
class Quantiles:
    """count, p50, p90, p95, p99 and max of a set of values; the quantiles are None when there are none."""

    count: int = 0
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None

    def stat(self, name: str) -> float | None:
        """The value of one of STATS by name (count as a float)."""
        if name not in STATS:
            raise KeyError(name)
        value = getattr(self, name)
        return None if value is None else float(value)


def quantiles(values: Iterable[float | None]) -> Quantiles:
    """Quantiles of the finite values (None, NaN and infinities are left out)."""
    data = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if data.size == 0:
        return Quantiles()
    p50, p90, p95, p99 = (round(float(p), DIGITS) for p in np.percentile(data, PERCENTILES))
    return Quantiles(int(data.size), p50, p90, p95, p99, round(float(data.max()), DIGITS))
