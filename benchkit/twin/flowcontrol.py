"""API Priority and Fairness series of kube-apiserver, for the requests the twin serves.

kubernetes/apiserver (the staging mirror of kubernetes/kubernetes staging/src/k8s.io/apiserver) at v0.31.0, v0.32.0
and v0.33.0 (kubernetes 1.31, 1.32, 1.33), pkg/util/flowcontrol/metrics/metrics.go, the same at all three:
  apiserver_flowcontrol_current_executing_seats{priority_level, flow_schema} gauge (BETA): seats occupied by
    executing requests (absent at v0.27.0, first at v0.28.0);
  apiserver_flowcontrol_rejected_requests_total{priority_level, flow_schema, reason} counter (BETA), reason one of
    queue-full, concurrency-limit, time-out (pkg/util/flowcontrol/fairqueuing/queueset/queueset.go `AddReject`
    calls; a fourth, cancelled, was last recorded at v0.28.0).
Both are vectors whose series appear on first use, so a label set shows up once a request has used it.

Which flow schema a request falls in (pkg/apis/flowcontrol/bootstrap/default.go at the same three tags):
benchkit authenticates as a user (not a service account, not system:masters), which only `global-default`
(priority level `global-default`, subjects system:unauthenticated and system:authenticated) catches;
Prometheus scrapes /metrics with its service account in namespace kube-prometheus-stack
(infra/components/monitoring.py), not kube-system, which `service-accounts` (priority level `workload-low`,
subjects every service account) catches. The twin has one token for every client, so it
tells the scrape apart by its path.

The model: every request the twin is serving holds one seat (the real work estimator gives LISTs more; the
twin does not estimate), the scrape of /metrics included, so a scrape always sees its own seat, as on a real
API server. A WATCH holds none (upstream counts its seats only in its initial stage, which the twin does not
model). A 429 that fault injection answers (`--fault-rate`, writes only) is a rejection with reason
`queue-full` (the reason queueset.go `StartRequest` records when the chosen queue is full): global-default
queues requests, so an overload rejects by a full queue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

USER = ("global-default", "global-default")
"""(priority_level, flow_schema) of benchkit's and kubectl's requests."""
SCRAPE = ("workload-low", "service-accounts")
"""(priority_level, flow_schema) of Prometheus's scrape of /metrics."""
QUEUE_FULL = "queue-full"


def classify(path: str) -> tuple[str, str]:
    return SCRAPE if path == "/metrics" else USER


class Flowcontrol:
    """Seats in use and rejections by (priority_level, flow_schema)."""

    def __init__(self) -> None:
        self.executing: Counter[tuple[str, str]] = Counter()
        self.rejected: Counter[tuple[str, str, str]] = Counter()

    @contextmanager
    def seat(self, path: str) -> Iterator[None]:
        """One seat of the request's priority level, held while the block runs."""
        level = classify(path)
        self.executing[level] += 1
        try:
            yield
        finally:
            self.executing[level] -= 1

    def reject(self, path: str, reason: str = QUEUE_FULL) -> None:
        self.rejected[(*classify(path), reason)] += 1

    def collect(self) -> Iterator[Metric]:
        seats = GaugeMetricFamily(
            "apiserver_flowcontrol_current_executing_seats",
            "Concurrency (number of seats) occupied by the currently executing (initial stage for a WATCH, any "
            "stage otherwise) requests in the API Priority and Fairness subsystem",
            labels=["priority_level", "flow_schema"],
        )
        for (level, schema), n in sorted(self.executing.items()):
            seats.add_metric([level, schema], n)
        yield seats
        rejected = CounterMetricFamily(
            "apiserver_flowcontrol_rejected_requests_total",
            "Number of requests rejected by API Priority and Fairness subsystem",
            labels=["priority_level", "flow_schema", "reason"],
        )
        for (level, schema, reason), n in sorted(self.rejected.items()):
            rejected.add_metric([level, schema, reason], n)
        yield rejected
