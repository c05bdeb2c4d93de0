"""Timestamps as the API server writes them: `metav1.Time` is RFC 3339 with whole seconds."""

from __future__ import annotations

import time

_CACHE_LIMIT = 200_000


class TimeFormat:
    """Formats epoch seconds as "2026-01-02T03:04:05Z", cached per second (many events share one)."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[int, str] = {}

    def __call__(self, t: float) -> str:
        sec = int(t // 1)
        text = self._cache.get(sec)
        if text is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            text = self._cache[sec] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))
        return text
