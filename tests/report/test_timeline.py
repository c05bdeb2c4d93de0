"""Timeline maths on a hand-written journal (exact numbers): cumulative counts, rates, backlog, states."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchkit.report import render
from benchkit.report import timeline as tl
from benchkit.report.compare import mann_whitney
from benchkit.results import journal

from .synthetic import write_run


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> tl.Timeline:
    run = write_run(tmp_path_factory.mktemp("run") / "r", jobs=60, per_min=120.0, service_s=0.9)
    return tl.build(journal.read(run))


def test_event_times_are_relative_to_t0(timeline: tl.Timeline) -> None:
    assert timeline.offered.size == timeline.created.size == timeline.running.size == 60
    assert timeline.offered[0] == 0.0 and timeline.offered[-1] == pytest.approx(29.5)  # k / (120/min)
    assert np.all(timeline.created >= timeline.offered)
    assert timeline.steps == [(0.0, 120.0)]
    assert timeline.nodes["bench"][0] == (0.0, 2, 2)


def test_cumulative_and_rate(timeline: tl.Timeline) -> None:
    grid = np.array([0.0, 10.0, 29.5, 100.0])
    assert list(tl.cumulative(timeline.offered, grid)) == [1, 21, 60, 60]
    rates = tl.rate_per_min(timeline.offered, np.array([20.0]), window=10.0)
    assert rates[0] == pytest.approx(120.0)  # 20 due in (10, 20]
    assert list(tl.offered_rate([(0.0, 60.0), (10.0, 120.0)], np.array([0.0, 9.9, 10.0, 40.0]), end=30.0)) == [
        60.0, 60.0, 120.0, 0.0]  # fmt: skip


def test_operator_bound_backlog_grows_then_drains(timeline: tl.Timeline) -> None:
    # 120/min offered, one pick-up every 0.9 s (66.7/min): the backlog grows while submitting, then drains
    grid = timeline.grid(200)
    backlog = tl.cumulative(timeline.created, grid) - tl.cumulative(timeline.left_backlog, grid)
    peak = int(np.argmax(backlog))
    assert 25.0 < grid[peak] < 35.0 and backlog[peak] > 20
    assert backlog[-1] == 0


def test_states_over_time_partition_the_live_apps(timeline: tl.Timeline) -> None:
    grid = timeline.grid(100)
    layers = tl.states_over_time(timeline, grid)
    assert list(layers) == ["NEW", "SUBMITTED", "RUNNING", "COMPLETED"]
    total = sum(layers.values())
    created = tl.cumulative(timeline.created, grid)
    deleted = np.asarray([sum(1 for a in timeline.apps.values() if a.deleted and a.deleted <= t + timeline.t0)
                          for t in grid])  # fmt: skip
    # every created, not yet deleted app is in exactly one state (the tracker sees NEW 10 ms after the ack)
    assert np.all(total <= created - deleted) and np.all(total >= created - deleted - 1)


def test_mann_whitney_needs_samples() -> None:
    few = mann_whitney("x", [1.0, 2.0], [3.0, 4.0])
    assert few.p_value is None and few.verdict.startswith("not tested")
    slower = mann_whitney("x", [1.0, 1.1, 0.9, 1.2, 1.0, 0.95], [2.0, 2.1, 1.9, 2.2, 2.0, 1.95])
    assert slower.significant and slower.verdict == "slower" and slower.change_pct == pytest.approx(100.0, rel=0.05)


def test_formatting_helpers() -> None:
    assert [render.fmt(v) for v in (None, True, 1234, 0.123456, 123456.7, [1, 2])] == [
        "–", "yes", "1,234", "0.1235", "123,457", "1, 2"]  # fmt: skip
    assert render.flatten({"a": {"b": 1, "c": {}}, "slo": {"x <= 1": "x <= 1"}}) == [
        ("a.b", 1), ("a.c", {}), ("slo", ["x <= 1"])]  # fmt: skip


def test_synthetic_folder_is_a_run_folder(tmp_path: Path) -> None:
    run = write_run(tmp_path / "r", jobs=5)
    assert {p.name for p in run.iterdir()} == {"events.jsonl", "summary.json", "manifest.json"}


def test_peak_level_keeps_short_peaks_between_grid_points() -> None:
    up, down = np.array([1.1, 1.2, 5.0]), np.array([1.3, 1.4, 5.5])
    grid = np.array([0.0, 1.0, 2.0, 3.0, 6.0])
    assert list(tl.peak_level(up, down, grid)) == [0.0, 0.0, 2.0, 0.0, 1.0]
    assert list(tl.cumulative(up, grid) - tl.cumulative(down, grid)) == [0, 0, 0, 0, 0]  # what sampling shows
