"""Drive the model in real time and apply its `Change`s to the store, where watches see them.

One asyncio task sleeps until `model.next_event_time()` (or until an API write wakes it), then calls
`model.advance(time.time())` and applies the whole batch. API writes call the model directly and
apply what it answers. The driver also records each app's state transitions (`/twin/v1/history`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from benchkit.twin.model.interface import (
    AppDeleted,
    AppStatus,
    Change,
    NodeAdded,
    NodeRemoved,
    NodeUpdated,
    PodCreated,
    PodDeleted,
    PodUpdated,
    TwinModel,
)
from benchkit.twin.record import Record
from benchkit.twin.resources import NODES, PODS, SPARK_APPS
from benchkit.twin.store import Store

log = logging.getLogger(__name__)
APP_NAME_LABEL = "sparkoperator.k8s.io/app-name"


@dataclass(frozen=True)
class Transition:
    """An app entered `state` at `time` (epoch seconds) with resourceVersion `rv`."""

    namespace: str
    name: str
    state: str
    time: float
    rv: int
    labels: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "name": self.name, "state": self.state, "time": self.time,
                "resourceVersion": str(self.rv)}  # fmt: skip


class Driver:
    def __init__(self, model: TwinModel, store: Store) -> None:
        self.model = model
        self.store = store
        self.transitions: list[Transition] = []
        self.node_groups: dict[str, int] = {}
        self.changes_applied = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ---- applying changes -------------------------------------------------------------------------

    def apply(self, changes: list[Change], now: float) -> None:
        store = self.store
        for ch in changes:
            if isinstance(ch, PodUpdated):
                store.update(PODS, ch.namespace, ch.name, ch.status, ch.node_name)
            elif isinstance(ch, AppStatus):
                self._app_status(ch, now)
            elif isinstance(ch, PodCreated):
                self._create_pod(ch.pod, now)
            elif isinstance(ch, PodDeleted):
                store.delete(PODS, ch.namespace, ch.name, now)
            elif isinstance(ch, AppDeleted):
                if store.delete(SPARK_APPS, ch.namespace, ch.name, now) is not None:
                    self.collect_pods(ch.namespace, ch.name, now)
            elif isinstance(ch, NodeAdded):
                store.replace(NODES, ch.node)
            elif isinstance(ch, NodeUpdated):
                store.update(NODES, "", ch.name, ch.status)
            elif isinstance(ch, NodeRemoved):
                store.delete(NODES, "", ch.name, now)
        self.changes_applied += len(changes)

    def _app_status(self, ch: AppStatus, now: float) -> None:
        before = self.store.get(SPARK_APPS, ch.namespace, ch.name)
        if before is None:
            return
        old_state = (before.fields or {}).get("status.applicationState.state", "")
        rec = self.store.update(SPARK_APPS, ch.namespace, ch.name, ch.status)
        assert rec is not None
        state = (rec.fields or {}).get("status.applicationState.state", "")
        if state != old_state:
            self.record_transition(rec, state or "NEW", now)

    def record_transition(self, rec: Record, state: str, now: float) -> None:
        self.transitions.append(Transition(rec.ns, rec.name, state, now, rec.rv, rec.labels))

    def _create_pod(self, pod: dict[str, Any], now: float) -> None:
        ns = pod["metadata"].get("namespace", "")
        if not self.store.namespace_exists(ns) or self.store.get(PODS, ns, pod["metadata"]["name"]) is not None:
            log.debug("dropping pod %s/%s from the model (namespace gone or pod exists)", ns, pod["metadata"]["name"])
            return
        self.store.create(PODS, pod, now)

    def collect_pods(self, ns: str, app: str, now: float) -> int:
        """Garbage-collect the pods of a deleted app (ownerReferences in a real cluster; the app-name label here)."""
        pods = self.store.by_label(PODS, APP_NAME_LABEL, app, ns)
        for rec in pods:
            self.store.delete(PODS, ns, rec.name, now)
        return len(pods)

    # ---- API-side notifications ---------------------------------------------------------------------

    def app_created(self, rec: Record, obj: dict[str, Any], now: float) -> None:
        self.record_transition(rec, "NEW", now)
        self.apply(self.model.app_created(obj, now), now)
        self.wake()

    def app_deleted(self, ns: str, name: str, now: float) -> None:
        self.apply(self.model.app_deleted(ns, name, now), now)
        self.collect_pods(ns, name, now)
        self.wake()

    def pod_deleted(self, ns: str, name: str, now: float) -> None:
        self.apply(self.model.pod_deleted(ns, name, now), now)
        self.wake()

    def scale(self, group: str, count: int, now: float) -> None:
        self.apply(self.model.scale_node_group(group, count, now), now)
        self.node_groups[group] = count
        self.wake()

    # ---- the real-time loop -------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="twin-model-driver")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            due = self.model.next_event_time()
            delay = None if due is None else due - time.time()
            if delay is None or delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
            now = time.time()
            try:
                self.apply(self.model.advance(now), now)
            except Exception:  # a model bug must not kill the server; it is logged and the loop goes on
                log.exception("model.advance failed")
                await asyncio.sleep(0.1)
            else:
                await asyncio.sleep(0)  # let requests and watch writers run between batches
