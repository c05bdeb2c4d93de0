"""The SparkApplication lifecycle through the model: happy path, failures, TTL, deletion."""

from __future__ import annotations

from benchkit.clock import parse_k8s_time
from benchkit.twin.model import build_model
from benchkit.twin.model.interface import AppDeleted, AppStatus, NodeAdded, PodCreated, PodDeleted, PodUpdated

from .helpers import Log, create, make_app, run

T0 = 1_700_000_000.0


def _states(log: Log, name: str) -> list[str]:
    return [c.status["applicationState"]["state"] for _, c in log.of(AppStatus) if c.name == name]


def _started(nodes: int = 3):
    model = build_model("fast", nodes=nodes, max_pods=220, seed=1)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    return model, log


def test_initial_nodes_are_the_stack_groups() -> None:
    _, log = _started(nodes=3)
    nodes = [c.node for _, c in log.of(NodeAdded)]
    groups = [n["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] for n in nodes]
    assert sorted(groups) == ["bench"] * 3 + ["core"] * 2 + ["monitoring", "operator"]
    bench = next(n for n in nodes if n["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] == "bench")
    assert bench["metadata"]["labels"]["NodeGroupType"] == "spark-operator-benchmark-ng"
    assert bench["spec"]["taints"] == [{"key": "spark-operator-benchmark-ng", "value": "true", "effect": "NoSchedule"}]
    assert bench["status"]["allocatable"]["pods"] == "220"
    assert bench["status"]["allocatable"]["cpu"] == "15890m"
    ready = next(c for c in bench["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"


def test_happy_path_states_pods_and_timestamps() -> None:
    model, log = _started()
    assert model.app_created(make_app("a1", seconds=3, labels={"app_type": "pi"}), T0) == []
    run(model, log)
    assert _states(log, "a1")[:2] == ["SUBMITTED", "RUNNING"]
    assert _states(log, "a1")[-2:] == ["SUCCEEDING", "COMPLETED"]
    final = next(c.status for _, c in reversed(log.of(AppStatus)) if c.name == "a1")
    assert final["submissionAttempts"] == 1 and final["executionAttempts"] == 1
    assert final["driverInfo"]["podName"] == "a1-driver"
    assert final["lastSubmissionAttemptTime"] <= final["terminationTime"]
    assert final["executorState"] == {f"a1-exec-{i}": "COMPLETED" for i in range(1, 6)}

    created = {c.pod["metadata"]["name"]: (t, c.pod) for t, c in log.of(PodCreated)}
    assert sorted(created) == ["a1-driver"] + [f"a1-exec-{i}" for i in range(1, 6)]
    driver = created["a1-driver"][1]
    assert driver["metadata"]["labels"]["benchkit.io/run-id"] == "run-1"
    assert driver["metadata"]["labels"]["spark-role"] == "driver"
    assert driver["metadata"]["labels"]["sparkoperator.k8s.io/app-name"] == "a1"
    assert driver["metadata"]["labels"]["sparkoperator.k8s.io/launched-by-spark-operator"] == "true"
    assert driver["metadata"]["ownerReferences"][0]["uid"] == "uid-spark-team-a-a1"
    assert driver["spec"]["nodeSelector"] == {"NodeGroupType": "spark-operator-benchmark-ng"}
    assert driver["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "512Mi"}
    # executors are created only after the driver runs
    driver_running = next(t for t, c in log.of(PodUpdated) if c.name == "a1-driver" and c.status["phase"] == "Running")
    assert all(created[f"a1-exec-{i}"][0] > driver_running for i in range(1, 6))
    running = next(c.status for _, c in log.of(PodUpdated) if c.name == "a1-driver" and c.status["phase"] == "Running")
    assert running["containerStatuses"][0]["name"] == "spark-kubernetes-driver"
    assert "startedAt" in running["containerStatuses"][0]["state"]["running"]
    assert running["startTime"] and any(c["type"] == "PodScheduled" for c in running["conditions"])
    # the app sleeps for its second argument: driver ran at least that long
    done = next(t for t, c in log.of(PodUpdated) if c.name == "a1-driver" and c.status["phase"] == "Succeeded")
    assert done - driver_running >= 3.0
    # executors are deleted by the driver, the driver stays (no TTL)
    assert sorted(c.name for _, c in log.of(PodDeleted)) == [f"a1-exec-{i}" for i in range(1, 6)]
    assert not log.of(AppDeleted)


def _final(log: Log, name: str) -> dict:
    return next(c.status for _, c in reversed(log.of(AppStatus)) if c.name == name)


def test_submission_failure_goes_to_failed_without_pods() -> None:
    model, log = _started()
    create(model, log, make_app("bad", fail="submission"), T0)
    run(model, log)
    assert _states(log, "bad") == ["SUBMISSION_FAILED", "FAILED"]
    final = _final(log, "bad")
    assert "spark-submit" in final["applicationState"]["errorMessage"]
    assert final["terminationTime"] is not None and final["submissionAttempts"] == 1
    assert "executionAttempts" not in final and "driverInfo" not in final
    assert not log.of(PodCreated)


def test_driver_failure_goes_through_failing() -> None:
    model, log = _started()
    create(model, log, make_app("crash", fail="driver", seconds=1), T0)
    run(model, log)
    states = _states(log, "crash")
    assert states[0] == "SUBMITTED" and "RUNNING" in states
    assert states[-2:] == ["FAILING", "FAILED"]
    assert "ExitCode: 1" in _final(log, "crash")["applicationState"]["errorMessage"]
    driver_end = [c.status for _, c in log.of(PodUpdated) if c.name == "crash-driver" and c.status["phase"] == "Failed"]
    assert driver_end[0]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1


def test_ttl_deletes_app_and_its_pods_after_termination() -> None:
    model, log = _started()
    create(model, log, make_app("ttl", seconds=1, ttl=30), T0)
    run(model, log)
    terminated = parse_k8s_time(_final(log, "ttl")["terminationTime"])  # whole seconds, like metav1.Time
    ((deleted_at, _),) = log.of(AppDeleted)
    assert terminated is not None and 30 <= deleted_at - terminated < 32
    assert ("spark-team-a", "ttl-driver") in {(c.namespace, c.name) for _, c in log.of(PodDeleted)}
    assert not [c for t, c in log.entries if t > deleted_at and isinstance(c, AppStatus)]


def test_no_ttl_keeps_the_app() -> None:
    model, log = _started()
    create(model, log, make_app("keep", seconds=1), T0)
    run(model, log)
    assert not log.of(AppDeleted) and model.next_event_time() is None


def test_api_delete_removes_pods_and_stops_reconciling() -> None:
    model, log = _started()
    create(model, log, make_app("gone", seconds=60), T0)
    run(model, log, until=T0 + 5)
    assert _states(log, "gone")[-1] == "RUNNING"
    changes = model.app_deleted("spark-team-a", "gone", T0 + 5)
    deleted = sorted(c.name for c in changes if isinstance(c, PodDeleted))
    assert deleted == ["gone-driver"] + [f"gone-exec-{i}" for i in range(1, 6)]
    before = len(log.of(AppStatus))
    run(model, log)
    assert len(log.of(AppStatus)) == before
    assert model.metrics(T0 + 100).gauges["spark_application_running_count"][(("app_type", "Unknown"),)] == 0


def test_deleting_the_driver_pod_fails_the_app() -> None:
    model, log = _started()
    create(model, log, make_app("orphan", seconds=60), T0)
    run(model, log, until=T0 + 15)
    changes = model.pod_deleted("spark-team-a", "orphan-driver", T0 + 15)
    assert [c.name for c in changes if isinstance(c, PodDeleted)] == ["orphan-driver"]
    run(model, log)
    assert _states(log, "orphan")[-2:] == ["FAILING", "FAILED"]
    assert _final(log, "orphan")["applicationState"]["errorMessage"] == "driver pod not found"


def test_executor_states_go_pending_running_completed() -> None:
    model, log = _started()
    create(model, log, make_app("ex", seconds=2, instances=2), T0)
    run(model, log)
    seen = {s for _, c in log.of(AppStatus) for s in (c.status.get("executorState") or {}).values()}
    assert seen == {"PENDING", "RUNNING", "COMPLETED"}


def test_submission_attempt_time_is_the_start_of_spark_submit() -> None:
    model = build_model("paper", nodes=2, max_pods=220, seed=3)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    create(model, log, make_app("slow", seconds=5), T0)
    run(model, log)
    written_at, change = next(
        (t, c) for t, c in log.of(AppStatus) if c.status["applicationState"]["state"] == "SUBMITTED"
    )
    attempt = parse_k8s_time(change.status["lastSubmissionAttemptTime"])
    assert attempt is not None and attempt <= T0 + 1
    assert written_at - T0 > 2.0  # a JVM spark-submit takes seconds in the paper profile


def test_status_lags_the_driver_under_a_backlog() -> None:
    """FIFO work queue: the RUNNING update waits behind every new app queued before it."""
    model = build_model("paper", nodes=50, max_pods=220, operator_workers=2, seed=4)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    for i in range(40):
        create(model, log, make_app(f"b{i}", seconds=600), T0 + i * 0.1)
    run(model, log, until=T0 + 900)
    driver_running = {c.name[: -len("-driver")]: t for t, c in log.of(PodUpdated)
                      if c.name.endswith("-driver") and c.status["phase"] == "Running"}  # fmt: skip
    cr_running = {c.name: t for t, c in log.of(AppStatus) if c.status["applicationState"]["state"] == "RUNNING"}
    lags = [cr_running[n] - driver_running[n] for n in ("b0", "b1", "b2") if n in cr_running]
    assert lags and min(lags) > 60  # early apps wait for the rest of the backlog to be submitted
