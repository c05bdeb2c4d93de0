"""Starting state: the namespaces and the model's nodes, and (after a --state-dir restart) the saved apps.

A restarted twin keeps every object, but the model restarts empty. The approximation: apps that had
finished (COMPLETED/FAILED) stay as they are, pods included, and the fresh operator counts each again by its
state, as the real one's informer does on start; apps still in flight lose their pods and
are handed to the fresh model as if just created, so they are submitted and run again (their stored
status stays until the model writes a new one).
"""

from __future__ import annotations

from typing import Any

from benchkit.spark import states
from benchkit.twin.driver import Driver, Transition
from benchkit.twin.model.interface import NodeAdded
from benchkit.twin.resources import NAMESPACES, NODES, SPARK_APPS
from benchkit.twin.store import Store


def seed_cluster(store: Store, driver: Driver, namespaces: tuple[str, ...], now: float) -> None:
    for ns in namespaces:
        if not store.namespace_exists(ns):
            store.create(
                NAMESPACES,
                {"metadata": {"name": ns}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
                now,
            )
    before = {rec.name for rec in store.records(NODES)}
    changes = driver.model.initial_changes(now)
    driver.apply(changes, now)
    current = {ch.node["metadata"]["name"] for ch in changes if isinstance(ch, NodeAdded)}
    for stale in sorted(before - current):
        store.delete(NODES, "", stale, now)


def refeed(
    store: Store, driver: Driver, transitions: list[dict[str, Any]], node_groups: dict[str, int], now: float
) -> None:
    driver.transitions = [
        Transition(
            t["namespace"], t["name"], t["state"], float(t["time"]), int(t["resourceVersion"]), t.get("labels") or {}
        )
        for t in transitions
    ]
    for group, count in sorted(node_groups.items()):
        driver.scale(group, count, now)
    for rec in list(store.records(SPARK_APPS)):
        obj = rec.obj()
        state = states.state_of(obj)
        if states.is_terminal(state):
            driver.model.app_replayed(obj, now)  # the fresh operator's informer re-counts it by state
            continue
        driver.collect_pods(rec.ns, rec.name, now)
        obj.pop("status", None)
        driver.apply(driver.model.app_created(obj, now), now)
