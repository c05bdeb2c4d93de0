"""SparkApplication status over HTTP, as a watcher sees it: lastSubmissionAttemptTime, terminationTime,
executorState, and timeToLiveSeconds (the operator deletes the app and its pods once it has passed)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

import pytest
from kubernetes import client, watch

from .helpers import GROUP, PLURAL, VERSION, Clients, app, state

NS = "spark-team-b"


def _time(text: str | None) -> float:
    assert text and text.endswith("Z"), text  # metav1.Time: RFC 3339, UTC, whole seconds
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _events(k8s: Clients, run: str, until: str, timeout: int = 60) -> list[tuple[float, str, dict[str, Any]]]:
    """(wall time received, type, object) for every event of the run's apps, until an event of type `until`
    (or an app in state `until`)."""
    out: list[tuple[float, str, dict[str, Any]]] = []
    w = watch.Watch()
    for ev in w.stream(k8s.custom.list_namespaced_custom_object, GROUP, VERSION, NS, PLURAL,
                       label_selector=f"benchkit.io/run-id={run}", timeout_seconds=timeout):  # fmt: skip
        out.append((time.time(), ev["type"], ev["object"]))
        if until in (ev["type"], state(ev["object"])):
            w.stop()
    return out


def test_submission_and_termination_times_and_executor_states(k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    created = k8s.create_app(NS, app("st-1", run, seconds=4, executors=2))
    born = _time(created["metadata"]["creationTimestamp"])
    events = _events(k8s, run, "COMPLETED")
    statuses = [obj.get("status") or {} for _, _, obj in events]
    assert state({"status": statuses[-1]}) == "COMPLETED"

    submitted = [s for s in statuses if (s.get("applicationState") or {}).get("state") == "SUBMITTED"]
    attempt = _time(submitted[0]["lastSubmissionAttemptTime"])
    assert born <= attempt <= time.time()
    assert all(s.get("lastSubmissionAttemptTime") == submitted[0]["lastSubmissionAttemptTime"]
               for s in statuses if s.get("applicationState", {}).get("state") not in (None, "", "NEW"))  # fmt: skip
    by_state = {(s.get("applicationState") or {}).get("state"): s for s in statuses}
    assert {"SUBMITTED", "RUNNING", "SUCCEEDING", "COMPLETED"} <= set(by_state)
    live = [s for s in statuses if (s.get("applicationState") or {}).get("state") in (None, "SUBMITTED", "RUNNING")]
    assert all(s.get("terminationTime") is None for s in live)  # unset until the driver has terminated
    assert by_state["SUCCEEDING"]["terminationTime"] == by_state["COMPLETED"]["terminationTime"]
    terminated = _time(statuses[-1]["terminationTime"])
    assert attempt + 4 - 1 <= terminated <= events[-1][0]  # ran its 4 s (whole-second timestamps)

    seen = [s.get("executorState") or {} for s in statuses]
    names = {name for states in seen for name in states}
    assert names == {"st-1-exec-1", "st-1-exec-2"}
    assert {"RUNNING", "COMPLETED"} <= {v for states in seen for v in states.values()} <= {"PENDING", "RUNNING",
                                                                                          "COMPLETED"}  # fmt: skip
    assert seen[-1] == {"st-1-exec-1": "COMPLETED", "st-1-exec-2": "COMPLETED"}
    assert any(states == {"st-1-exec-1": "RUNNING", "st-1-exec-2": "RUNNING"} for states in seen)


def test_time_to_live_deletes_the_app_and_its_pods_after_termination(k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    short = app("ttl-1", run, seconds=0.5, executors=1)
    short["spec"]["timeToLiveSeconds"] = 3
    k8s.create_app(NS, app("ttl-keep", run, seconds=0.5, executors=1))  # no TTL: stays
    k8s.create_app(NS, short)
    events = _events(k8s, run, "DELETED")
    received, kind, gone = events[-1]
    assert kind == "DELETED" and gone["metadata"]["name"] == "ttl-1"
    completed = [obj for _, _, obj in events if obj["metadata"]["name"] == "ttl-1" and state(obj) == "COMPLETED"]
    terminated = _time(completed[-1]["status"]["terminationTime"])
    assert 3 <= received - terminated < 3 + 1 + 10  # TTL after termination (timestamps are whole seconds)
    with pytest.raises(client.ApiException) as exc:
        k8s.get_app(NS, "ttl-1")
    assert exc.value.status == 404
    pods = k8s.core.list_namespaced_pod(NS, label_selector="sparkoperator.k8s.io/app-name=ttl-1").items
    assert pods == []  # its driver went with it
    kept = k8s.get_app(NS, "ttl-keep")
    assert state(kept) == "COMPLETED" and kept["status"]["terminationTime"]
    assert k8s.core.list_namespaced_pod(NS, label_selector="sparkoperator.k8s.io/app-name=ttl-keep").items
