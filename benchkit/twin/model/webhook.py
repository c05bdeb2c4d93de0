"""The Spark Operator's mutating webhook, as pod creation sees it.

With the webhook on, the API server calls the operator's `mutate--v1-pod.sparkoperator.k8s.io` webhook on
every pod CREATE and holds the request until it answers (kubeflow/spark-operator v2.1.0
`charts/spark-operator-chart/templates/webhook/mutatingwebhookconfiguration.yaml`; the mutation itself is
`internal/webhook/sparkpod_defaulter.go`). Here that call is a FIFO queue served `concurrency` at a time,
`service_seconds` each: under load the wait grows, and every caller waits with it (spark-submit for the
driver pod, the driver's executor allocator for executors). The wait plus the service time is what the API
server records in `apiserver_admission_webhook_admission_duration_seconds` (kubernetes/apiserver v0.31.0,
v0.32.0 and v0.33.0, the staging mirror of kubernetes/kubernetes 1.31 to 1.33, `pkg/admission/metrics/metrics.go`:
labels name, type, operation, rejected; buckets 5 ms … 25 s; type `admit` for a mutating webhook,
`pkg/admission/plugin/webhook/mutating/dispatcher.go`).

With the webhook off, `admit` calls straight through: no wait, no sample, and no mutation (see
`apps.parse_app`). Not modelled: the webhook's `timeoutSeconds` (10 s in chart 2.1.0) and `failurePolicy`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from benchkit.twin.model.context import Ctx
from benchkit.twin.model.histogram import Hist

WEBHOOK_NAME = "mutate--v1-pod.sparkoperator.k8s.io"
ADMISSION_DURATION = "apiserver_admission_webhook_admission_duration_seconds"
ADMISSION_BUCKETS = (0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10.0, 25.0)
ADMISSION_LABELS = (("name", WEBHOOK_NAME), ("operation", "CREATE"), ("rejected", "false"), ("type", "admit"))

Then = Callable[[Any, float], None]


class AdmissionWebhook:
    """Pod CREATE admission: `admit(then, arg)` runs `then(arg, now)` once the webhook has answered."""

    __slots__ = ("_busy", "_ctx", "_waiting", "concurrency", "durations", "enabled", "service_seconds")

    def __init__(self, ctx: Ctx, *, enabled: bool, service_seconds: float, concurrency: int) -> None:
        if concurrency < 1:
            raise ValueError(f"webhook concurrency must be >= 1, got {concurrency}")
        if service_seconds < 0:
            raise ValueError(f"webhook service time must be >= 0, got {service_seconds:g}")
        self._ctx = ctx
        self.enabled = enabled
        self.service_seconds = service_seconds
        self.concurrency = concurrency
        self._busy = 0
        self._waiting: deque[tuple[float, Then, Any]] = deque()
        self.durations = Hist(ADMISSION_BUCKETS)

    @property
    def queued(self) -> int:
        """Admission calls waiting for a free webhook slot."""
        return len(self._waiting)

    def admit(self, then: Then, arg: Any) -> None:
        if not self.enabled:
            then(arg, self._ctx.now)
            return
        self._waiting.append((self._ctx.now, then, arg))
        self._serve()

    def _serve(self) -> None:
        while self._busy < self.concurrency and self._waiting:
            self._busy += 1
            self._ctx.events.after(self._ctx.jitter(self.service_seconds), self._answered, self._waiting.popleft())

    def _answered(self, call: tuple[float, Then, Any], now: float) -> None:
        arrived, then, arg = call
        self._busy -= 1
        self.durations.observe(now - arrived)
        self._serve()
        then(arg, now)
