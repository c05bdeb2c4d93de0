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
