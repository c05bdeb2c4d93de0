"""Scheduling: requests vs allocatable, maxPods, nodeSelector, taints vs tolerations, retries; node scaling."""

from __future__ import annotations

import pytest

from benchkit.twin.model import build_model
from benchkit.twin.model.interface import AppStatus, NodeAdded, NodeRemoved, NodeUpdated, PodDeleted, PodUpdated

from .helpers import Log, create, make_app, run

T0 = 1_000.0


def _model(nodes: int = 1, max_pods: int = 220):
    model = build_model("fast", nodes=nodes, max_pods=max_pods, seed=7)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    return model, log


def _node_groups(log: Log) -> dict[str, str]:
    return {
        c.node["metadata"]["name"]: c.node["metadata"]["labels"]["eks.amazonaws.com/nodegroup"]
        for _, c in log.of(NodeAdded)
    }


def _bound(log: Log) -> dict[str, tuple[float, str]]:
    return {c.name: (t, c.node_name) for t, c in log.of(PodUpdated) if c.node_name}


def test_bench_pods_land_on_bench_nodes_only() -> None:
    model, log = _model(nodes=2)
    create(model, log, make_app("a"), T0)
    run(model, log)
    groups = _node_groups(log)
    bound = _bound(log)
    assert len(bound) == 6 and {groups[node] for _, node in bound.values()} == {"bench"}


def test_no_toleration_means_unschedulable_on_tainted_nodes() -> None:
    model, log = _model(nodes=2)
    create(model, log, make_app("untolerated", tolerations=[]), T0)
    run(model, log, until=T0 + 30)
    ((_, update),) = [(t, c) for t, c in log.of(PodUpdated) if c.name == "untolerated-driver"]
    assert update.node_name is None
    cond = update.status["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"]) == ("PodScheduled", "False", "Unschedulable")
    assert [c.status["applicationState"]["state"] for _, c in log.of(AppStatus)] == ["SUBMITTED"]


def test_no_selector_no_toleration_goes_to_untainted_core_nodes() -> None:
    model, log = _model(nodes=2)
    create(model, log, make_app("anywhere", selector=None, tolerations=[]), T0)
    run(model, log)
    groups = _node_groups(log)
    assert {groups[node] for _, node in _bound(log).values()} == {"core"}


def _unschedulable(log: Log) -> list[str]:
    return [
        c.name
        for _, c in log.of(PodUpdated)
        if c.status.get("conditions") and c.status["conditions"][0].get("reason") == "Unschedulable"
    ]


def test_full_node_leaves_pods_pending_until_capacity_frees() -> None:
    # one bench node: 15890m allocatable - 155m DaemonSets = 15735m, so three 4-core pods fit, not four
    model, log = _model(nodes=1)
    create(model, log, make_app("first", core_request="4", instances=1, seconds=5), T0)
    create(model, log, make_app("second", core_request="4", instances=1, seconds=5), T0 + 0.001)
    run(model, log)
    (waiting,) = _unschedulable(log)
    assert waiting.endswith("-exec-1")
    other = "first" if waiting.startswith("second") else "second"
    freed = next(t for t, c in log.of(PodUpdated) if c.name == f"{other}-exec-1" and c.status["phase"] == "Succeeded")
    bound = _bound(log)
    assert len(bound) == 4 and bound[waiting][0] == pytest.approx(freed)
    finals = {c.name: c.status["applicationState"]["state"] for _, c in log.of(AppStatus)}
    assert finals == {"first": "COMPLETED", "second": "COMPLETED"}


def test_max_pods_limits_pods_per_node() -> None:
    # maxPods 10 minus 5 DaemonSet pods: 5 Spark pods per node
    model, log = _model(nodes=1, max_pods=10)
    create(model, log, make_app("many", instances=8, seconds=5), T0)
    run(model, log, until=T0 + 3)
    assert len(_bound(log)) == 5 and "many-driver" in _bound(log)
    assert len(_unschedulable(log)) == 4


def test_memory_requests_count_with_default_overhead() -> None:
    # 40g executors + max(10%, 384Mi) overhead = 44 GiB; one fits a 64 GiB node's ~59 GiB, two do not
    model, log = _model(nodes=1)
    app = make_app("big", instances=2, seconds=5)
    for role in ("driver", "executor"):
        del app["spec"][role]["memoryOverhead"]
    app["spec"]["executor"]["memory"] = "40g"
    create(model, log, app, T0)
    run(model, log, until=T0 + 3)
    assert sorted(_bound(log))[0] == "big-driver" and len(_bound(log)) == 2
    assert len(_unschedulable(log)) == 1


def test_scale_up_nodes_join_not_ready_then_take_pending_pods() -> None:
    model, log = _model(nodes=0)
    create(model, log, make_app("waits", seconds=1), T0)
    run(model, log, until=T0 + 1)
    assert not _bound(log)
    changes = model.scale_node_group("bench", 2, T0 + 1)
    added = [c.node for c in changes if isinstance(c, NodeAdded)]
    assert len(added) == 2
    assert all(next(x for x in n["status"]["conditions"] if x["type"] == "Ready")["status"] == "False" for n in added)
    log.add(T0 + 1, changes)
    run(model, log)
    ready_at = min(t for t, c in log.of(NodeUpdated))
    assert all(t >= ready_at for t, _ in _bound(log).values())
    assert [c.status["applicationState"]["state"] for _, c in log.of(AppStatus)][-1] == "COMPLETED"


def test_scale_down_evicts_pods_and_removes_nodes() -> None:
    model, log = _model(nodes=2)
    create(model, log, make_app("evicted", seconds=120), T0)
    run(model, log, until=T0 + 5)
    changes = model.scale_node_group("bench", 0, T0 + 5)
    assert len([c for c in changes if isinstance(c, NodeRemoved)]) == 2
    assert {c.name for c in changes if isinstance(c, PodDeleted)} == {"evicted-driver"} | {
        f"evicted-exec-{i}" for i in range(1, 6)
    }
    log.add(T0 + 5, changes)
    run(model, log)
    assert [c.status["applicationState"]["state"] for _, c in log.of(AppStatus)][-1] == "FAILED"


def test_scaling_rejects_bad_input() -> None:
    model, _ = _model()
    with pytest.raises(ValueError, match="unknown node group"):
        model.scale_node_group("gpu", 1, T0)
    with pytest.raises(ValueError, match=">= 0"):
        model.scale_node_group("bench", -1, T0)
    with pytest.raises(ValueError, match="unknown twin profile"):
        build_model("slow", nodes=1, max_pods=220)


def test_many_pods_on_a_full_cluster_stay_cheap() -> None:
    """1000 apps on 2 nodes: most pods wait; every app still completes, FIFO per shape."""
    model, log = _model(nodes=2)
    for i in range(1000):
        create(model, log, make_app(f"x{i}", seconds=1, instances=2), T0 + i * 0.005)
    run(model, log)
    finals = {c.name: c.status["applicationState"]["state"] for _, c in log.of(AppStatus)}
    assert len(finals) == 1000 and set(finals.values()) == {"COMPLETED"}
    assert len(_unschedulable(log)) > 500
