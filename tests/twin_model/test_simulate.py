"""simulate(): the planner's view of a run, derived on a virtual clock."""

from __future__ import annotations

import itertools

import pytest

from benchkit.twin.model import build_model
from benchkit.twin.model.simulate import simulate

from .helpers import make_app


def test_timelines_and_summary_of_a_small_run() -> None:
    model = build_model("fast", nodes=2, max_pods=220, seed=2)
    arrivals = [(i * 0.5, make_app(f"s{i}", seconds=4, ttl=10)) for i in range(20)]
    result = simulate(arrivals, model)
    assert result.states == {"COMPLETED": 20}
    for app in result.apps:
        assert app.submitted is not None and app.driver_created is not None
        assert app.driver_scheduled is not None and app.driver_running is not None
        assert app.running is not None and app.terminal is not None
        assert app.created <= app.driver_created <= app.submitted
        assert app.driver_scheduled <= app.driver_running <= app.terminal
        assert app.terminal - app.driver_running >= 4
    assert result.processed_per_min == pytest.approx(120, rel=0.05)  # the offered rate: the operator keeps up
    assert result.first_submitted is not None and result.submission_window == pytest.approx(9.5, abs=0.5)
    assert result.last_start is not None and result.end is not None and result.end > result.last_start
    assert result.peak_pending_pods >= 1
    assert result.peak_nodes_needed["bench"] == 1 and result.peak_nodes_needed["core"] == 0
    # node-seconds: 2 bench nodes from the first arrival until the last event (the last TTL deletion)
    assert result.node_seconds["bench"] == pytest.approx(2 * (result.end + 10), rel=0.05)
    assert result.operator_cpu_seconds > 0


def test_peak_nodes_needed_is_the_demand_in_node_units() -> None:
    # 50 apps × 6 pods × 1 core, all alive at once: 300 cores, ceil(300 / 15.735) = 20 m6a.4xlarge
    model = build_model("fast", nodes=30, max_pods=220, seed=2)
    arrivals = [(i * 0.01, make_app(f"d{i}", seconds=60, core_request="1")) for i in range(50)]
    result = simulate(arrivals, model, until=30)
    assert result.peak_nodes_needed["bench"] == 20
    assert result.peak_pending_pods < 50


def test_too_few_nodes_leave_drivers_pending() -> None:
    # one node holds 15 one-core pods; executors only exist once a driver runs
    model = build_model("fast", nodes=1, max_pods=220, seed=2)
    arrivals = [(i * 0.01, make_app(f"p{i}", seconds=60, core_request="1")) for i in range(50)]
    result = simulate(arrivals, model, until=30)
    started = [a for a in result.apps if a.driver_running is not None]
    assert 0 < len(started) <= 15
    assert result.peak_pending_pods >= 35


def test_nodes_needed_timeline_follows_the_demand() -> None:
    # 20 apps × 6 one-core pods alive together need 8 nodes; all of it is released once the apps end
    model = build_model("fast", nodes=10, max_pods=220, seed=2)
    arrivals = [(i * 0.01, make_app(f"t{i}", seconds=20, core_request="1")) for i in range(20)]
    result = simulate(arrivals, model)
    timeline = result.nodes_needed["bench"]
    assert [t for t, _ in timeline] == sorted(t for t, _ in timeline)
    assert max(n for _, n in timeline) == result.peak_nodes_needed["bench"] == 8
    assert timeline[-1][1] == 0 and timeline[-1][0] <= (result.end or 0) + 1
    assert all(a[1] != b[1] for a, b in itertools.pairwise(timeline))  # one entry per change
