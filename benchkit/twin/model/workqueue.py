"""controller-runtime's work queue semantics with its metrics: dedup, one worker per key, FIFO — so under
load status updates wait behind every queued new app (the published benchmark's status lag).
"""

from __future__ import annotations

from collections import deque

from benchkit.twin.model.histogram import WORKQUEUE_BUCKETS, Hist

Key = tuple[str, str]


class WorkQueue:
    __slots__ = (
        "_added_at",
        "_queue",
        "_started_at",
        "adds_total",
        "dirty",
        "processing",
        "queue_duration",
        "retries_total",
        "work_duration",
    )

    def __init__(self) -> None:
        self._queue: deque[Key] = deque()
        self.dirty: set[Key] = set()
        self.processing: set[Key] = set()
        self._added_at: dict[Key, float] = {}
        self._started_at: dict[Key, float] = {}
        self.adds_total = 0
        self.retries_total = 0
        """Every AddAfter, hence every AddRateLimited (kubernetes/client-go v0.29.3 and v0.32.5, the versions
        kubeflow/spark-operator v2.1.0 and v2.5.2 go.mod replace client-go with, util/workqueue/delaying_queue.go
        `AddAfter` counts `retry()` before it looks at the delay): with the operator's handlers, every event it
        enqueues."""
        self.queue_duration = Hist(WORKQUEUE_BUCKETS)
        self.work_duration = Hist(WORKQUEUE_BUCKETS)

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: Key, now: float) -> bool:
        """Queue `key`; returns True when it became ready to be picked up now."""
        if key in self.dirty:
            return False
        self.adds_total += 1
        self.dirty.add(key)
        self._added_at.setdefault(key, now)
        if key in self.processing:
            return False
        self._queue.append(key)
        return True

    def get(self, now: float) -> Key | None:
        if not self._queue:
            return None
        key = self._queue.popleft()
        self.dirty.discard(key)
        self.processing.add(key)
        self.queue_duration.observe(now - self._added_at.pop(key, now))
        self._started_at[key] = now
        return key

    def done(self, key: Key, now: float) -> None:
        self.processing.discard(key)
        self.work_duration.observe(now - self._started_at.pop(key, now))
        if key in self.dirty:
            self._queue.append(key)

    def unfinished(self, now: float) -> tuple[float, float]:
        """(workqueue_unfinished_work_seconds, workqueue_longest_running_processor_seconds)."""
        ages = [now - t for t in self._started_at.values()]
        return sum(ages), max(ages, default=0.0)
