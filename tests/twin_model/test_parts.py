"""The model's building blocks on their own: processor sharing, the work queue, the token bucket, quantities."""

from __future__ import annotations

import pytest

from benchkit.twin.model.cpu import SharedCpu
from benchkit.twin.model.events import EventQueue
from benchkit.twin.model.quantity import cpu_millis, k8s_bytes, spark_mib
from benchkit.twin.model.ratelimit import TokenBucket
from benchkit.twin.model.workqueue import WorkQueue


def _cpu(vcpus: float, parallelism: float, threads: int = 1, gain: float = 1.0) -> tuple[EventQueue, SharedCpu]:
    events = EventQueue()
    events.now = 0.0
    return events, SharedCpu(events, vcpus, parallelism, threads, gain)


def test_processor_sharing_finish_times() -> None:
    events, cpu = _cpu(vcpus=2, parallelism=1)
    done: dict[str, float] = {}
    for name, work in (("a", 1.0), ("b", 3.0), ("c", 3.0)):
        cpu.submit(work, done.__setitem__, name)
    events.run_until(100)
    # 3 jobs on 2 cores: 2/3 core each; a finishes at 1.5; then b and c get 1 core each: 2 left → 3.5
    assert done["a"] == pytest.approx(1.5)
    assert done["b"] == pytest.approx(3.5) and done["c"] == pytest.approx(3.5)
    assert cpu.cpu_seconds == pytest.approx(7.0)  # all work done on fully busy cores, no SMT


def test_smt_threads_add_only_their_gain() -> None:
    _, cpu = _cpu(vcpus=36, parallelism=3, threads=2, gain=0.25)
    assert cpu.rates(6) == (pytest.approx(3.0), 18)  # 18 vCPUs busy on 18 cores: full speed
    work, busy = cpu.rates(12)
    assert busy == 36 and work * 12 == pytest.approx(18 + 18 * 0.25)
    assert cpu.rates(40)[1] == 36


def test_workqueue_dedups_and_never_hands_one_key_to_two_workers() -> None:
    q = WorkQueue()
    key = ("ns", "app")
    assert q.add(key, 0.0) is True
    assert q.add(key, 0.1) is False and len(q) == 1  # already queued
    assert q.get(1.0) == key and q.get(1.0) is None
    assert q.add(key, 1.5) is False and len(q) == 0  # being processed: re-queued on done
    q.done(key, 2.0)
    assert len(q) == 1 and q.get(3.0) == key
    q.done(key, 3.5)
    assert q.adds_total == 2
    assert q.queue_duration.count == 2 and q.queue_duration.sum == pytest.approx(1.0 + 1.5)
    assert q.work_duration.sum == pytest.approx(1.0 + 0.5)


def test_token_bucket_allows_burst_then_qps() -> None:
    bucket = TokenBucket(qps=20, burst=30)
    waits = [bucket.reserve(0.0) for _ in range(32)]
    assert waits[:30] == [0.0] * 30
    assert waits[30] == pytest.approx(0.05) and waits[31] == pytest.approx(0.10)
    assert TokenBucket(qps=0, burst=1).reserve(0.0) == 0.0


def test_quantities() -> None:
    assert cpu_millis("0.1") == 100 and cpu_millis("100m") == 100 and cpu_millis(2) == 2000
    assert k8s_bytes("512Mi") == 512 * 2**20 and k8s_bytes("1G") == 10**9
    assert spark_mib("512m") == 512 and spark_mib("2g") == 2048 and spark_mib("0m") == 0 and spark_mib("1024") == 1024
    with pytest.raises(ValueError):
        cpu_millis("lots")
