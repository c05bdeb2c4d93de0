"""client-go's token bucket (rest.Config QPS/Burst): the operator's own API writes wait for a token."""

from __future__ import annotations


class TokenBucket:
    __slots__ = ("_at", "_tokens", "burst", "qps")

    def __init__(self, qps: float, burst: int) -> None:
        self.qps = qps
        self.burst = max(burst, 1)
        self._tokens = float(self.burst)
        self._at = float("-inf")

    def reserve(self, now: float) -> float:
        """Take a token; returns how long the caller must wait for it (0 when one is available)."""
        if self.qps <= 0:
            return 0.0
        if self._at == float("-inf"):
            self._at = now
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.qps)
        self._at = max(self._at, now)
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps


class WorkqueueRateLimiter:
    """The operator's work-queue rate limiter: the slower of a per-item exponential backoff and a token bucket.

    kubeflow/spark-operator v2.1.0 pkg/util/workqueue.go `NewRateLimiter`: MaxOf(ItemExponentialFailure(5 ms,
    1000 s), Bucket(qps, size)) under a max wait (infinite by default); cmd/operator/controller/start.go defaults
    `--workqueue-ratelimiter-bucket-qps=10`, `--workqueue-ratelimiter-bucket-size=100`. The event handlers enqueue
    with `AddRateLimited` (internal/controller/sparkapplication/event_handler.go), so every event takes a token
    and waits in the delaying queue (not in `workqueue_depth`) when the bucket is empty. A successful reconcile
    calls `Forget`, which resets the item's backoff (controller-runtime pkg/internal/controller/controller.go).
    """

    BASE_DELAY = 0.005
    MAX_DELAY = 1000.0
    __slots__ = ("_bucket", "_failures")

    def __init__(self, qps: float, burst: int) -> None:
        self._bucket = TokenBucket(qps, burst)
        self._failures: dict[object, int] = {}

    def when(self, item: object, now: float) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        backoff = min(self.BASE_DELAY * 2.0**exp, self.MAX_DELAY)
        return max(backoff, self._bucket.reserve(now))

    def forget(self, item: object) -> None:
        self._failures.pop(item, None)
