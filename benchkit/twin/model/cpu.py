"""The operator's cores as a processor-sharing server (a model of many JVMs on one CFS-scheduled node).

Every running job gets the same share: min(parallelism, cores / n) cores. When the demand n × parallelism
exceeds the cores, each core's useful work drops by 1 / (1 + penalty × (demand / cores − 1)): with more
runnable threads than cores, time goes to context switches, cache misses and GC (thrashing). All jobs
progress at the same rate, so the job with the least remaining work always finishes first: one heap
keyed by the "attained service" at which each job completes.
"""

from __future__ import annotations

import heapq
from typing import Any

from benchkit.twin.model.events import Callback, EventQueue

_EPS = 1e-9


class SharedCpu:
    __slots__ = (
        "_events",
        "_jobs",
        "_seq",
        "_service",
        "_t",
        "_token",
        "cores",
        "cpu_seconds",
        "parallelism",
        "penalty",
    )

    def __init__(self, events: EventQueue, cores: float, parallelism: float, penalty: float) -> None:
        if cores <= 0 or parallelism <= 0:
            raise ValueError("cores and parallelism must be > 0")
        self._events = events
        self.cores = cores
        self.parallelism = parallelism
        self.penalty = penalty
        self._jobs: list[tuple[float, int, Callback, Any]] = []
        self._seq = 0
        self._service = 0.0  # useful CPU-seconds each job present since the start would have received
        self._t = 0.0
        self._token = 0
        self.cpu_seconds = 0.0  # CPU time consumed (what process_cpu_seconds_total would count)

    @property
    def running(self) -> int:
        return len(self._jobs)

    def rates(self, n: int) -> tuple[float, float]:
        """(useful progress per job per second, cores in use) with n jobs running."""
        if n == 0:
            return 0.0, 0.0
        demand = n * self.parallelism
        used = min(demand, self.cores)
        efficiency = 1.0
        if demand > self.cores:
            efficiency = 1.0 / (1.0 + self.penalty * (demand / self.cores - 1.0))
        return used / n * efficiency, used

    def cpu_seconds_at(self, now: float) -> float:
        _, used = self.rates(len(self._jobs))
        return self.cpu_seconds + used * max(0.0, now - self._t)

    def charge(self, cpu_seconds: float) -> None:
        """Count CPU time spent outside the shared jobs (short Go reconciles too small to contend)."""
        self.cpu_seconds += cpu_seconds

    def submit(self, work: float, callback: Callback, arg: Any = None) -> None:
        """Run `work` useful CPU-seconds; call `callback(arg, t)` when done."""
        self._sync(self._events.now)
        self._seq += 1
        heapq.heappush(self._jobs, (self._service + max(work, 0.0), self._seq, callback, arg))
        self._reschedule()

    def _sync(self, now: float) -> None:
        dt = now - self._t
        if dt > 0 and self._jobs:
            progress, used = self.rates(len(self._jobs))
            self._service += progress * dt
            self.cpu_seconds += used * dt
        self._t = max(self._t, now)

    def _reschedule(self) -> None:
        self._token += 1
        if not self._jobs:
            return
        progress, _ = self.rates(len(self._jobs))
        remaining = max(0.0, self._jobs[0][0] - self._service)
        self._events.at(self._t + remaining / progress, self._on_finish, self._token)

    def _on_finish(self, token: int, now: float) -> None:
        if token != self._token:
            return  # superseded by a later arrival or departure
        self._sync(now)
        # The head job was due now; float time near epoch seconds has ~0.2 µs resolution, so snap to it.
        self._service = max(self._service, self._jobs[0][0])
        done = []
        while self._jobs and self._jobs[0][0] <= self._service + _EPS:
            _, _, callback, arg = heapq.heappop(self._jobs)
            done.append((callback, arg))
        self._reschedule()
        for callback, arg in done:
            callback(arg, now)
