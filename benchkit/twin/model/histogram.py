"""A cumulative-bucket histogram accumulator that snapshots to `interface.Histogram`."""

from __future__ import annotations

import bisect
import math

from benchkit.twin.model.interface import Histogram

# controller-runtime workqueue buckets: prometheus.ExponentialBuckets(1e-8, 10, 12) → 1e-8 … 1000 s.
WORKQUEUE_BUCKETS = tuple(10.0 ** (k - 8) for k in range(12))
# spark-operator --metrics-job-start-latency-buckets default.
START_LATENCY_BUCKETS = (30.0, 60.0, 90.0, 120.0, 150.0, 180.0, 210.0, 240.0, 270.0, 300.0)
# spark-operator --metrics-job-submit-latency-buckets default (kubeflow/spark-operator v2.5.2
# cmd/operator/controller/start.go; the chart passes the same list, charts/spark-operator-chart/values.yaml
# prometheus.metrics.jobSubmitLatencyBuckets). The flag and the histogram are absent at v2.1.0 and v2.5.0.
SUBMIT_LATENCY_BUCKETS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)
SUMMARY = ()
"""No finite buckets: a Summary without objectives (only _sum and _count, as client_golang exports it)."""


class Hist:
    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.count = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.sum += value

    def snapshot(self) -> Histogram:
        buckets: dict[float, int] = {}
        running = 0
        for bound, n in zip(self.bounds, self.counts, strict=False):
            running += n
            buckets[bound] = running
        buckets[math.inf] = self.count
        return Histogram(buckets=buckets, count=self.count, sum=self.sum)
