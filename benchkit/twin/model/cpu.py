"""The operator's vCPUs as a processor-sharing server for spark-submit JVMs, on SMT cores: a vCPU whose
sibling hyperthread is busy adds only `smt_gain` of a core (see README.md, "calibration").
"""

from __future__ import annotations

import heapq
from typing import Any

from benchkit.twin.model.events import Callback, EventQueue

_EPS = 1e-9


class SharedCpu:
    """n running jobs each get min(parallelism, vcpus / n) vCPUs; the work done per second is
    min(busy, cores) + smt_gain × max(0, busy − cores) (Linux fills idle cores first), while the CPU
    account counts every busy vCPU-second, as cAdvisor does. All jobs progress at the same rate, so the
    job with the least remaining work finishes first: one heap keyed by the attained service at which
    each job completes, and one pending event for the next completion."""

    __slots__ = ("_cores", "_events", "_jobs", "_seq", "_service", "_t", "_token", "cpu_seconds", "parallelism",
                 "smt_gain", "vcpus")  # fmt: skip

    def __init__(
        self, events: EventQueue, vcpus: float, parallelism: float, threads_per_core: int = 1, smt_gain: float = 1.0
    ) -> None:
        if vcpus <= 0 or parallelism <= 0 or threads_per_core < 1:
            raise ValueError("vcpus, parallelism and threads per core must be positive")
        self._events = events
        self.vcpus = vcpus
        self._cores = vcpus / threads_per_core
        self.smt_gain = smt_gain
        self.parallelism = parallelism
        self._jobs: list[tuple[float, int, Callback, Any]] = []
        self._seq = 0
        self._service = 0.0  # work (core-seconds) each job present since the start would have received
        self._t = 0.0
        self._token = 0
        self.cpu_seconds = 0.0  # busy vCPU-seconds, as the kernel accounts them

    @property
    def running(self) -> int:
        return len(self._jobs)

    def rates(self, n: int) -> tuple[float, float]:
        """(work per job per second, busy vCPUs) with n jobs running."""
        if n == 0:
            return 0.0, 0.0
        busy = min(n * self.parallelism, self.vcpus)
        work = min(busy, self._cores) + self.smt_gain * max(0.0, busy - self._cores)
        return work / n, busy

    def cpu_seconds_at(self, now: float) -> float:
        _, busy = self.rates(len(self._jobs))
        return self.cpu_seconds + busy * max(0.0, now - self._t)

    def charge(self, cpu_seconds: float) -> None:
        """Count CPU time spent outside the shared jobs (short Go reconciles too small to contend)."""
        self.cpu_seconds += cpu_seconds

    def submit(self, work: float, callback: Callback, arg: Any = None) -> None:
        """Run `work` core-seconds; call `callback(arg, t)` when done."""
        self._sync(self._events.now)
        self._seq += 1
        heapq.heappush(self._jobs, (self._service + max(work, 0.0), self._seq, callback, arg))
        self._reschedule()

    def _sync(self, now: float) -> None:
        dt = now - self._t
        if dt > 0 and self._jobs:
            progress, busy = self.rates(len(self._jobs))
            self._service += progress * dt
            self.cpu_seconds += busy * dt
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
