"""States a relist skipped: journaled as "inferred" only when the listed status proves them."""

from __future__ import annotations

from typing import Any

import pytest

from benchkit.spark import states
from benchkit.tracker.state import TrackState


def app(state: str, **status: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"metadata": {"name": "a", "namespace": "ns", "resourceVersion": "7"}}
    if state:
        body["status"] = {"applicationState": {"state": state}, **status}
    return body


@pytest.mark.parametrize(
    ("obj", "implied"),
    [
        (app(""), ()),
        (app("SUBMITTED", submissionAttempts=1, executionAttempts=1), ("NEW",)),
        (app("RUNNING", submissionAttempts=1, executionAttempts=1), ("NEW", "SUBMITTED")),
        (app("SUCCEEDING", submissionAttempts=1, executionAttempts=1), ("NEW", "SUBMITTED")),
        (app("COMPLETED", submissionAttempts=1, executionAttempts=1), ("NEW", "SUBMITTED", "SUCCEEDING")),
        (app("FAILING", submissionAttempts=1, executionAttempts=1), ("NEW", "SUBMITTED")),
        (app("FAILED", submissionAttempts=1, executionAttempts=1), ("NEW", "SUBMITTED", "FAILING")),
        (app("SUBMISSION_FAILED", submissionAttempts=1), ("NEW",)),
        (app("FAILED", submissionAttempts=1), ("NEW", "SUBMISSION_FAILED")),
        (app("FAILED"), ("NEW",)),  # no attempt counts: nothing more is certain
    ],
)
def test_implied_states(obj: dict[str, Any], implied: tuple[str, ...]) -> None:
    assert states.implied(obj) == implied
    assert states.RUNNING not in implied  # a driver can go Pending -> Succeeded between two reconciles


def test_a_relisted_app_journals_the_states_it_proves_before_the_one_it_shows() -> None:
    track = TrackState()
    assert [f["state"] for _, f in track.app(app(""), "watch")] == ["NEW"]
    done = app("COMPLETED", submissionAttempts=1, executionAttempts=1, terminationTime="2026-11-21T00:00:01Z")
    events = track.app(done, "list")
    assert [(f["state"], f["observed"]) for _, f in events] == [
        ("SUBMITTED", "inferred"), ("SUCCEEDING", "inferred"), ("COMPLETED", "list")
    ]  # fmt: skip
    assert events[0][1]["server"]["terminationTime"] == "2026-11-21T00:00:01Z"
    assert track.app(done, "list") == [] and track.app(done, "watch") == []  # each state once
    c = track.counts
    assert (c.seen, c.submitted, c.completed, c.running) == (1, 1, 1, 0)


def test_watched_apps_get_no_inferred_events() -> None:
    track = TrackState()
    path = [app("")] + [app(s, submissionAttempts=1, executionAttempts=1)
                        for s in ("SUBMITTED", "RUNNING", "SUCCEEDING", "COMPLETED")]  # fmt: skip
    observed = [(f["state"], f["observed"]) for obj in path for _, f in track.app(obj, "watch")]
    assert observed == [(s, "watch") for s in ("NEW", "SUBMITTED", "RUNNING", "SUCCEEDING", "COMPLETED")]
    assert (track.counts.running, track.counts.completed) == (0, 1)
