"""The SparkApplication lifecycle through the model: happy path, failures, TTL, deletion."""

from __future__ import annotations

from benchkit.twin.model import build_model
from benchkit.twin.model.interface import AppDeleted, AppStatus, NodeAdded, PodCreated, PodDeleted, PodUpdated

from .helpers import Log, make_app, run

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
