"""The operator's mutating webhook in the model: admission queueing, what it mutates, its API-server series.

What the webhook mutates is kubeflow/spark-operator v2.1.0 `internal/webhook/sparkpod_defaulter.go`
(addNodeSelectors, addTolerations, addVolumes: per-role fields copied onto the pods); spark-submit's conf
(`internal/controller/sparkapplication/submission.go`) carries only `spec.nodeSelector`. The series is
kube-apiserver's `apiserver_admission_webhook_admission_duration_seconds` (kubernetes/apiserver v0.31.0, v0.32.0
and v0.33.0, the staging mirror of kubernetes/kubernetes 1.31 to 1.33, `pkg/admission/metrics/metrics.go`: labels
name/type/operation/rejected, buckets 0.005 … 25; type `admit` from `pkg/admission/plugin/webhook/mutating/
dispatcher.go`).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from benchkit.kube import labels as L
from benchkit.spark import template
from benchkit.twin.metrics import model_families
from benchkit.twin.model import build_model
from benchkit.twin.model.context import Ctx
from benchkit.twin.model.interface import AppStatus, NodeAdded, PodCreated, PodUpdated
from benchkit.twin.model.profiles import FAST
from benchkit.twin.model.webhook import (
    ADMISSION_BUCKETS,
    ADMISSION_DURATION,
    ADMISSION_LABELS,
    WEBHOOK_NAME,
    AdmissionWebhook,
)

from .helpers import Log, create, run

T0 = 1_000.0


def _app(name: str, which: str, seconds: float = 1) -> dict[str, Any]:
    """A job rendered from a packaged template, as benchkit would submit it."""
    return template.render(template.load(Path(which)), run_id="run-1", scenario="delete", seq=int(name),
                           namespace="spark-team-a", app_seconds=seconds)  # fmt: skip


def _run(which: str, webhook: bool) -> tuple[Any, Log]:
    model = build_model("fast", nodes=2, max_pods=220, seed=3, webhook=webhook)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    create(model, log, _app("1", which), T0)
    run(model, log, until=T0 + 30)
    return model, log


def _groups(log: Log) -> dict[str, str]:
    return {c.node["metadata"]["name"]: c.node["metadata"]["labels"]["eks.amazonaws.com/nodegroup"]
            for _, c in log.of(NodeAdded)}  # fmt: skip


def _driver(log: Log) -> dict[str, Any]:
    return next(c.pod for _, c in log.of(PodCreated) if c.pod["metadata"]["name"].endswith("-driver"))


def _states(log: Log) -> list[str]:
    return [c.status["applicationState"]["state"] for _, c in log.of(AppStatus)]


def test_admission_is_fifo_with_bounded_concurrency_and_records_each_wait() -> None:
    ctx = Ctx(dataclasses.replace(FAST, jitter=0.0), seed=0)
    ctx.events.now = 0.0
    hook = AdmissionWebhook(ctx, enabled=True, service_seconds=1.0, concurrency=2)
    done: list[tuple[int, float]] = []
    for k in range(5):
        hook.admit(lambda arg, now: done.append((arg, now)), k)
    assert hook.queued == 3 and not done
    ctx.events.run_until(100)
    assert done == [(0, 1.0), (1, 1.0), (2, 2.0), (3, 2.0), (4, 3.0)]  # two at a time, first come first served
    snap = hook.durations.snapshot()
    assert snap.count == 5 and snap.sum == pytest.approx(9.0)  # each sample: arrival (0) → answer
    assert snap.buckets[1.0] == 2 and snap.buckets[2.5] == 4 and snap.buckets[10.0] == 5


def test_off_admits_at_once_and_records_nothing() -> None:
    ctx = Ctx(FAST, seed=0)
    ctx.events.now = 5.0
    hook = AdmissionWebhook(ctx, enabled=False, service_seconds=1.0, concurrency=1)
    done: list[float] = []
    hook.admit(lambda arg, now: done.append(now), None)
    assert done == [5.0] and hook.durations.count == 0
    with pytest.raises(ValueError, match="concurrency"):
        AdmissionWebhook(ctx, enabled=True, service_seconds=1.0, concurrency=0)


def test_with_webhook_template_pods_are_mutated_and_run_on_bench_nodes() -> None:
    _, log = _run("with-webhook", webhook=True)
    driver = _driver(log)
    assert driver["spec"]["nodeSelector"] == {L.NODE_GROUP_TYPE: L.BENCH_NODE_GROUP}
    assert driver["spec"]["tolerations"][0]["key"] == L.BENCH_TAINT_KEY
    assert driver["spec"]["volumes"] == [{"name": "spark-scratch", "emptyDir": {}}]
    assert driver["spec"]["containers"][0]["volumeMounts"] == [
        {"name": "spark-scratch", "mountPath": "/tmp/spark-scratch"}
    ]
    executors = [c.pod for _, c in log.of(PodCreated) if "-exec-" in c.pod["metadata"]["name"]]
    assert len(executors) == 5 and all(e["spec"]["volumes"] for e in executors)
    groups = _groups(log)
    assert {groups[c.node_name] for _, c in log.of(PodUpdated) if c.node_name} == {"bench"}
    assert _states(log)[-1] == "COMPLETED"


def test_with_webhook_template_without_the_webhook_loses_volumes_and_placement() -> None:
    """As on a real cluster: nothing copies the per-role fields, so no volume, no toleration for the bench taint."""
    _, log = _run("with-webhook", webhook=False)
    driver = _driver(log)
    assert "volumes" not in driver["spec"] and "volumeMounts" not in driver["spec"]["containers"][0]
    assert driver["spec"]["nodeSelector"] == {} and driver["spec"]["tolerations"] == []
    groups = _groups(log)
    assert {groups[c.node_name] for _, c in log.of(PodUpdated) if c.node_name} == {"core"}  # untainted nodes only


def test_without_webhook_template_gets_the_same_pods_from_its_pod_templates() -> None:
    _, on = _run("with-webhook", webhook=True)
    _, off = _run("without-webhook", webhook=False)
    mutated, templated = _driver(on), _driver(off)
    for key in ("nodeSelector", "tolerations", "volumes"):
        assert templated["spec"][key] == mutated["spec"][key], key
    assert templated["spec"]["containers"][0]["volumeMounts"] == mutated["spec"]["containers"][0]["volumeMounts"]
    groups = _groups(off)
    assert {groups[c.node_name] for _, c in off.of(PodUpdated) if c.node_name} == {"bench"}
    assert _states(off)[-1] == "COMPLETED"


def test_admission_series_is_exported_while_the_webhook_is_on() -> None:
    model, log = _run("with-webhook", webhook=True)
    created = len(log.of(PodCreated))
    hist = model.metrics(T0 + 30).histograms[ADMISSION_DURATION][ADMISSION_LABELS]
    assert created == 6 and hist.count == created  # one admission per pod CREATE
    assert tuple(b for b in hist.buckets if not math.isinf(b)) == ADMISSION_BUCKETS
    family = next(f for f in model_families(model.metrics(T0 + 30)) if f.name == ADMISSION_DURATION)
    assert family.type == "histogram"
    count = next(s for s in family.samples if s.name == f"{ADMISSION_DURATION}_count")
    assert count.value == created
    assert count.labels == {"name": WEBHOOK_NAME, "operation": "CREATE", "rejected": "false", "type": "admit"}
    off, _ = _run("without-webhook", webhook=False)
    assert ADMISSION_DURATION not in off.metrics(T0 + 30).histograms


def test_spark_submit_waits_for_the_driver_admission() -> None:
    """The driver pod appears (and SUBMITTED is written) only after its admission: later with the webhook."""
    firsts = {}
    for webhook in (True, False):
        _, log = _run("with-webhook" if webhook else "without-webhook", webhook)
        firsts[webhook] = next(t for t, c in log.of(PodCreated) if c.pod["metadata"]["name"].endswith("-driver"))
    assert firsts[True] > firsts[False]
