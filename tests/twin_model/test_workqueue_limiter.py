"""The operator's work-queue rate limiter (kubeflow/spark-operator v2.1.0 pkg/util/workqueue.go NewRateLimiter:
MaxOf(ItemExponentialFailure(5 ms, 1000 s), Bucket(10/s, 100)) by cmd/operator/controller/start.go defaults)."""

from __future__ import annotations

import statistics

import pytest

from benchkit.twin.model import build_model
from benchkit.twin.model.model import Model
from benchkit.twin.model.ratelimit import WorkqueueRateLimiter
from benchkit.twin.model.simulate import simulate

from .helpers import Log, create, make_app

T0 = 10_000.0


def test_bucket_and_per_item_backoff() -> None:
    limiter = WorkqueueRateLimiter(10.0, 100)
    delays = [limiter.when(("ns", f"a{i}"), T0) for i in range(101)]
    assert delays[:100] == [pytest.approx(0.005)] * 100  # the burst: only the 5 ms first-failure backoff
    assert delays[100] == pytest.approx(0.1)  # the 101st waits for a token at 10/s
    key = ("ns", "same")
    assert [limiter.when(key, T0 + 100) for _ in range(3)] == pytest.approx([0.005, 0.01, 0.02])
    limiter.forget(key)  # a reconcile without error resets the item's backoff
    assert limiter.when(key, T0 + 200) == pytest.approx(0.005)


def test_a_backlog_in_the_limiter_is_not_queue_depth() -> None:
    """Every event is an AddRateLimited: past the bucket's burst, items wait in the delaying queue, counted as
    retries (client-go delaying_queue.go AddAfter) but absent from workqueue_depth."""
    model = build_model("paper", nodes=20, max_pods=220)
    assert isinstance(model, Model)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    for i in range(300):
        create(model, log, make_app(f"lim-{i}", seconds=60), T0)
    op = model.operator
    assert op.limiter is not None
    assert len(op.delayed) >= 150  # 300 creates, 100 tokens: the rest wait 0.1 s apart
    metrics = model.metrics(T0)
    queue = next(iter(metrics.gauges["workqueue_depth"]))
    depth = metrics.gauges["workqueue_depth"][queue]
    assert depth + len(op.delayed) + (op.workers - op.idle) <= 300
    assert depth <= 100
    assert metrics.counters["workqueue_retries_total"][queue] == 300
    assert metrics.counters["workqueue_adds_total"][queue] <= 300 - len(op.delayed)
    model.advance(T0 + 40)  # 200 more tokens by T0 + 20: every app's create has left the limiter by now
    later = model.metrics(T0 + 40)
    assert later.counters["workqueue_adds_total"][queue] >= 300
    # later events (status writes, pods) take tokens too and wait behind them: the limiter stays busy
    assert later.counters["workqueue_retries_total"][queue] > 300


def test_fast_profile_has_no_limiter() -> None:
    model = build_model("fast", nodes=1, max_pods=10)
    assert isinstance(model, Model)
    assert model.operator.limiter is None


def test_a_sooner_event_replaces_a_long_delay_still_waiting() -> None:
    """kubernetes/client-go v0.29.3 and v0.32.5 (spark-operator v2.1.0's and v2.5.2's go.mod replace)
    util/workqueue/delaying_queue.go `insert`: one waiting entry per item, moved only earlier. A
    Forget after a backoff of minutes and a fresh event must get the item reconciled at once, not when the old
    entry fires (the twin once kept the old one: demo apps sat RUNNING past the run's timeout)."""
    model = build_model("paper", nodes=20, max_pods=220)
    assert isinstance(model, Model)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    create(model, log, make_app("slow-one", seconds=5000), T0)
    model.advance(T0 + 60)  # running, all pods up: no event of its own until it ends at ~T0 + 5000
    op = model.operator
    assert op.limiter is not None
    [key] = list(op.apps)
    for _ in range(20):  # twenty events with no reconcile in between: the next waits 5 ms * 2^20, capped at 1000 s
        op.limiter.when(key, T0 + 60)
    queue = next(iter(model.metrics(T0 + 60).gauges["workqueue_depth"]))
    adds = model.metrics(T0 + 60).counters["workqueue_adds_total"][queue]
    op.enqueue_event(key)
    assert op.delayed[key] == pytest.approx(T0 + 60 + WorkqueueRateLimiter.MAX_DELAY)
    op.limiter.forget(key)
    op.enqueue_event(key)
    assert op.delayed[key] == pytest.approx(T0 + 60 + WorkqueueRateLimiter.BASE_DELAY)
    model.advance(T0 + 61)
    assert key not in op.delayed
    assert model.metrics(T0 + 61).counters["workqueue_adds_total"][queue] == adds + 1
    due = T0 + 60 + WorkqueueRateLimiter.MAX_DELAY + 1
    model.advance(due)  # the replaced entry adds nothing when it comes due
    assert model.metrics(due).counters["workqueue_adds_total"][queue] == adds + 1


def test_the_informer_event_of_a_status_write_comes_after_the_reconciles_forget() -> None:
    """`make demo`'s baseline (80 apps at 200/min, 2 s apps, paper profile, 20 nodes): pod events pile up failures
    on a key while it waits in the queue; the reconcile's Forget resets them (controller-runtime v0.17.5
    reconcileHandler) before the watch delivers the event of its own status write. Seen before the Forget, that
    event waited 5 ms x 2^14 = 82 s, and one app sat in SUCCEEDING for 82 s (the demo's baseline timed out)."""
    model = build_model("paper", nodes=20, max_pods=220)
    apps = [(i * 0.3, make_app(f"demo-{i}", seconds=2, instances=5)) for i in range(80)]
    result = simulate(apps, model)
    assert result.states == {"COMPLETED": 80}
    assert result.end is not None and result.last_start is not None
    # From driver running to terminal, every app waits in the same saturated queue (its pod events and status
    # writes behind the other apps' spark-submits: 18-32 s here); none waits a backoff on top (105 s before).
    spans = sorted(a.terminal - a.driver_running for a in result.apps if a.terminal and a.driver_running)
    assert len(spans) == 80
    assert spans[-1] - statistics.median(spans) < 15, spans[-5:]
