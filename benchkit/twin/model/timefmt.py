"""Timestamps as the API server writes them: `metav1.Time` is RFC 3339 with whole seconds."""

from __future__ import annotations

import time


class TimeFormat:
    """Formats epoch seconds as "2026-01-02T03:04:05Z", caching the last second (many events share one)."""

    __slots__ = ("_last", "_text")

    def __init__(self) -> None:
        self._last = -1
        self._text = ""

    def __call__(self, t: float) -> str:
        sec = int(t // 1)
        if sec != self._last:
            self._last = sec
            self._text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))
        return self._text
