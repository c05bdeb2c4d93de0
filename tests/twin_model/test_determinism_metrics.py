"""Determinism for a seed, and metrics that agree with what happened."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from benchkit.twin.model import build_model
from benchkit.twin.model.interface import AppStatus, TwinModel

from .helpers import Log, create, make_app, run

T0 = 50_000.0
NS = ("spark-team-a", "spark-team-b")


def _scenario(seed: int) -> tuple[TwinModel, Log]:
    model = build_model("fast", nodes=3, max_pods=220, seed=seed)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    for i in range(30):
        fail = "submission" if i % 10 in (2, 3) else "driver" if i % 10 in (6, 7) else None
        app = make_app(f"m{i}", NS[i % 2], seconds=1 + i % 3, instances=1 + i % 4, fail=fail, labels={"app_type": "pi"})
        create(model, log, app, T0 + i * 0.05)
    run(model, log)
    return model, log


def test_same_seed_same_history_different_seed_different_timing() -> None:
    _, a = _scenario(seed=11)
    _, b = _scenario(seed=11)
    _, c = _scenario(seed=12)
    assert a.entries == b.entries
    assert [t for t, _ in a.entries] != [t for t, _ in c.entries]


def test_counters_match_the_outcomes() -> None:
    model, log = _scenario(seed=5)
    finals = {(c.namespace, c.name): c.status["applicationState"]["state"] for _, c in log.of(AppStatus)}
    m = model.metrics(T0 + 1000)
    labels = (("app_type", "pi"),)  # chart 2.1.0's --metrics-labels=app_type: no namespace label
    assert all(key == labels for key in m.counters["spark_application_count"])
    for ns in NS:  # the counters cover every namespace; the per-namespace outcomes add up to them
        mine = {k: v for k, v in finals.items() if k[0] == ns}
        submission_failed = sum(1 for k in mine if int(k[1][1:]) % 10 in (2, 3))
        assert submission_failed == 3
        assert sum(v == "FAILED" for v in mine.values()) == 6
    assert m.counters["spark_application_count"][labels] == 30
    assert m.counters["spark_application_success_count"][labels] == sum(v == "COMPLETED" for v in finals.values())
    assert m.counters["spark_application_failure_count"][labels] == sum(v == "FAILED" for v in finals.values())
    assert m.counters["spark_application_failed_submission_count"][labels] == 6
    assert m.counters["spark_application_submit_count"][labels] == 30 - 6
    assert m.gauges["spark_application_running_count"][labels] == 0
    running_seen = sum(1 for _, c in log.of(AppStatus) if c.status["applicationState"]["state"] == "RUNNING")
    assert running_seen >= m.histograms["spark_application_start_latency_seconds_histogram"][labels].count > 0
    queue = (("controller", "sparkapplication"), ("name", "sparkapplication"))
    assert m.gauges["workqueue_depth"][queue] == 0
    assert m.gauges["controller_runtime_active_workers"][(("controller", "sparkapplication"),)] == 0
    assert m.gauges["controller_runtime_max_concurrent_reconciles"][(("controller", "sparkapplication"),)] == 10
    adds = m.counters["workqueue_adds_total"][queue]
    # every event is enqueued with AddRateLimited, which client-go counts as a retry before deduplicating
    assert m.counters["workqueue_retries_total"][queue] >= adds
    assert adds >= 30 and m.histograms["workqueue_queue_duration_seconds"][queue].count <= adds
    cpu = next(iter(m.counters["container_cpu_usage_seconds_total"].values()))
    assert 30 * 0.03 * 0.85 < cpu < 30 * 0.03 * 1.15 + 1.0  # submissions dominate; reconciles add a little


def test_running_gauge_counts_apps_running_now() -> None:
    model = build_model("fast", nodes=3, max_pods=220)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    for i in range(4):
        create(model, log, make_app(f"r{i}", seconds=30), T0)
    run(model, log, until=T0 + 10)
    gauge = model.metrics(T0 + 10).gauges["spark_application_running_count"]
    assert gauge[(("app_type", "Unknown"),)] == 4
    histogram = model.metrics(T0 + 10).histograms["spark_application_start_latency_seconds_histogram"]
    (h,) = histogram.values()
    assert h.count == 4 and h.buckets[30.0] == 4 and 0 < h.sum < 4 * 10


def digest(seed: int) -> str:
    """A fingerprint of the whole history of a run with node contention (for cross-process checks)."""
    model = build_model("fast", nodes=2, max_pods=30, seed=seed)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    for i in range(60):
        create(model, log, make_app(f"d{i}", NS[i % 2], seconds=1 + i % 4, instances=1 + i % 5), T0 + i * 0.02)
    run(model, log, until=T0 + 2)
    log.add(T0 + 2, model.scale_node_group("bench", 1, T0 + 2))  # evictions walk a node's pods
    log.add(T0 + 2, model.scale_node_group("bench", 3, T0 + 2))
    run(model, log)
    return hashlib.sha256(repr(log.entries).encode()).hexdigest()


def test_history_does_not_depend_on_hash_randomization() -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from twin_model.test_determinism_metrics import digest\n"
        "print(digest(3))"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        outputs.add(proc.stdout.strip())
    assert outputs == {digest(3)}
