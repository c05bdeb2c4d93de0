"""The discrete-event core: a heap of (time, sequence, callback, argument), popped in time order; ties keep
insertion order, so runs are deterministic. Cancellation is lazy (callbacks check their object is alive).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

Callback = Callable[[Any, float], None]


class EventQueue:
    __slots__ = ("_heap", "_seq", "now")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callback, Any]] = []
        self._seq = 0
        self.now = float("-inf")

    def __len__(self) -> int:
        return len(self._heap)

    def at(self, t: float, callback: Callback, arg: Any = None) -> None:
        """Run `callback(arg, t)` at time t (never earlier than the current time)."""
        self._seq += 1
        heapq.heappush(self._heap, (t if t > self.now else self.now, self._seq, callback, arg))

    def after(self, delay: float, callback: Callback, arg: Any = None) -> None:
        self.at(self.now + delay, callback, arg)

    def next_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def run_until(self, t: float) -> None:
        """Run every event due at or before t, in order (events scheduled meanwhile included)."""
        heap = self._heap
        while heap and heap[0][0] <= t:
            when, _, callback, arg = heapq.heappop(heap)
            self.now = when
            callback(arg, when)
        self.now = max(self.now, t)
