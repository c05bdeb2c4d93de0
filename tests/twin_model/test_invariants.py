"""Random operations (creates, API deletes of apps and pods, scaling) never break the model's books."""

from __future__ import annotations

import random

from benchkit.twin.model import Model, build_model
from benchkit.twin.model.interface import PodCreated, PodDeleted

from .helpers import Log, create, make_app, run

T0 = 10_000.0


def _check_books(model: Model) -> None:
    pods = model.runtime.pods.values()
    for node in model.cluster.nodes():
        holding = [p for p in pods if p.node is node and p.holds]
        spec = model.cluster.groups[node.group]
        assert node.free_cpu == node.alloc_cpu - spec.daemonsets.cpu_m - sum(p.shape.cpu_m for p in holding)
        assert node.free_mem == node.alloc_mem - spec.daemonsets.memory - sum(p.shape.memory for p in holding)
        assert node.free_pods == node.max_pods - spec.daemonsets.pods - len(holding)
        assert node.free_cpu >= 0 and node.free_mem >= 0 and node.free_pods >= 0
    waiting = [p for p in pods if p.node is None and p.unschedulable]
    assert model.cluster.scheduler.pending_count == len(waiting)


def test_random_operations_keep_resources_and_objects_consistent() -> None:
    rng = random.Random(42)
    model = build_model("fast", nodes=2, max_pods=40, seed=9)
    log = Log()
    log.add(T0, model.initial_changes(T0))
    t, names = T0, []
    for step in range(400):
        t += rng.uniform(0, 0.3)
        run(model, log, until=t)
        op = rng.random()
        if op < 0.6:
            name = f"r{step}"
            names.append(name)
            fail = rng.choice([None, None, None, "submission", "driver"])
            app = make_app(
                name, seconds=rng.uniform(0.5, 3), instances=rng.randint(0, 6), fail=fail, ttl=rng.choice([None, 2])
            )
            create(model, log, app, t)
        elif op < 0.75 and names:
            log.add(t, model.app_deleted("spark-team-a", rng.choice(names), t))
        elif op < 0.9 and model.runtime.pods:
            key = rng.choice(sorted(model.runtime.pods))
            log.add(t, model.pod_deleted(key[0], key[1], t))
        else:
            log.add(t, model.scale_node_group("bench", rng.randint(0, 4), t))
        _check_books(model)
    log.add(t, model.scale_node_group("bench", 3, t))
    run(model, log)
    _check_books(model)
    # every pod the model reported created and not deleted is exactly what it still holds
    alive: set[tuple[str, str]] = set()
    for _, change in log.entries:
        if isinstance(change, PodCreated):
            alive.add((change.pod["metadata"]["namespace"], change.pod["metadata"]["name"]))
        elif isinstance(change, PodDeleted):
            alive.discard((change.namespace, change.name))
    assert alive == set(model.runtime.pods)
    assert all(app.state in ("COMPLETED", "FAILED") for app in model.operator.apps.values())
    assert model.cluster.scheduler.pending_count == 0
