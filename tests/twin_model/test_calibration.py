"""The paper profile reproduces the published Kubeflow Spark Operator benchmark on a virtual clock.

Published (operator v2.1.0, c5.9xlarge 36 vCPU, 200 × m6a.4xlarge, 3 namespaces, submitted at ~1000/min,
apps sleeping 1 h): 10 workers ≈ 130 apps/min using ~25 cores; 20 workers ≈ 140–155 apps/min using
~35 cores; 2000 apps ≈ 15 min and 4000 ≈ 30 min. Each figure must hold within ±10 %.
"""

from __future__ import annotations

import pytest

from benchkit.twin.model import build_model
from benchkit.twin.model.simulate import SimResult, simulate

from .helpers import make_app

NAMESPACES = ("spark-team-a", "spark-team-b", "spark-team-c")


def _paper_run(workers: int, apps: int) -> SimResult:
    model = build_model("paper", nodes=200, max_pods=220, operator_workers=workers, operator_cpus=36, seed=1)
    arrivals = [(i * 0.06, make_app(f"app-{i}", NAMESPACES[i % 3], seconds=3600, ttl=60)) for i in range(apps)]
    return simulate(arrivals, model, until=apps / 100 * 60)  # long enough to submit all at ≥ 100/min


def _minutes_to_process(result: SimResult, count: int) -> float:
    submitted = sorted(a.submitted for a in result.apps if a.submitted is not None)
    return submitted[count - 1] / 60


def _cores(result: SimResult) -> float:
    assert result.first_submitted is not None and result.last_submitted is not None
    return result.operator_cpu_seconds / result.last_submitted


@pytest.fixture(scope="module")
def ten_workers() -> SimResult:
    return _paper_run(workers=10, apps=4000)


def test_ten_workers_process_130_apps_per_minute(ten_workers: SimResult) -> None:
    assert ten_workers.processed_per_min == pytest.approx(130, rel=0.10)
    assert _cores(ten_workers) == pytest.approx(25, rel=0.10)


def test_2000_apps_take_15_minutes_and_4000_take_30(ten_workers: SimResult) -> None:
    assert _minutes_to_process(ten_workers, 2000) == pytest.approx(15, rel=0.10)
    assert _minutes_to_process(ten_workers, 4000) == pytest.approx(30, rel=0.10)


def test_twenty_workers_gain_little_because_the_operator_is_cpu_bound(ten_workers: SimResult) -> None:
    twenty = _paper_run(workers=20, apps=2000)
    assert twenty.processed_per_min == pytest.approx(147.5, rel=0.10)  # published: 140–155
    assert _cores(twenty) == pytest.approx(35, rel=0.10)
    assert ten_workers.processed_per_min is not None and twenty.processed_per_min is not None
    assert 1.0 < twenty.processed_per_min / ten_workers.processed_per_min < 1.25  # doubling workers: far from 2×
