"""The paper profile reproduces the published webhook difference on a virtual clock.

Published (kubeflow/spark-operator `docs/website/performance/benchmarking.md` at commit dd8f85c282fc, in no
release tag; docs/twin-model.md says where else it was published), "Test4: 6000 Spark Applications
(With Webhook Disabled)": identical to Test 1, 6000 apps at ~1000/min, 10 workers): "Disabling webhooks reduced
job start latency by approximately 60 seconds per job". Here: the mean time from app creation to driver running,
over all 6000 apps, webhook on (with-webhook apps) minus off (pod-template apps), must be 60 s ± 10 %, while
the webhook-on run keeps Test 1's ~130 apps/min (test_calibration.py checks the rest of Test 1).
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from benchkit.twin.model import build_model
from benchkit.twin.model.simulate import SimResult, simulate

from .helpers import make_app

pytestmark = pytest.mark.slow
NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")
APPS = 6000


def pod_templated(app: dict[str, Any]) -> dict[str, Any]:
    """The same app with placement in Spark pod templates (the without-webhook template's way)."""
    for role in ("driver", "executor"):
        part = app["spec"][role]
        part["template"] = {"spec": {"nodeSelector": part.pop("nodeSelector"), "tolerations": part.pop("tolerations")}}
    return app


def _published_load(webhook: bool) -> SimResult:
    model = build_model("paper", nodes=200, max_pods=220, operator_workers=10, operator_cpus=36, seed=1,
                        webhook=webhook)  # fmt: skip
    arrivals = []
    for i in range(APPS):
        app = make_app(f"app-{i}", NAMESPACES[i % 3], seconds=3600, ttl=60)
        arrivals.append((i * 0.06, app if webhook else pod_templated(app)))
    return simulate(arrivals, model, until=APPS / 100 * 60 * 1.4)  # every driver starts within this


def _mean_start(result: SimResult) -> float:
    starts = [a.driver_running - a.created for a in result.apps if a.driver_running is not None]
    assert len(starts) == APPS
    return statistics.fmean(starts)


def test_webhook_adds_about_60_s_of_start_latency_at_the_published_load() -> None:
    on, off = _published_load(webhook=True), _published_load(webhook=False)
    assert _mean_start(on) - _mean_start(off) == pytest.approx(60, rel=0.10)
    assert on.processed_per_min == pytest.approx(130, rel=0.10)  # Test 1 ran with the webhook on
    assert off.processed_per_min is not None and on.processed_per_min < off.processed_per_min
