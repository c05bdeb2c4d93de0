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

from benchkit import clock
from benchkit.twin.daemonsets import DaemonSetController, is_daemon_pod
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
SLICE = 0.02  # seconds of model time applied per batch when catching up


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
        self.daemonsets = DaemonSetController(store)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ---- applying changes -------------------------------------------------------------------------

    def apply(self, changes: list[Change], now: float) -> None:
        store = self.store
        nodes_changed = False
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
                nodes_changed = True
            elif isinstance(ch, NodeUpdated):
                store.update(NODES, "", ch.name, ch.status)
                nodes_changed = True
            elif isinstance(ch, NodeRemoved):
                store.delete(NODES, "", ch.name, now)
                nodes_changed = True
        if nodes_changed:
            self.daemonsets.sync(now)
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
        try:
            changes = self.model.app_created(obj, now)
        except ValueError as exc:
            # The CRD accepts it but the model cannot run it (e.g. memory "lots"): as spark-submit failing,
            # the app fails with the reason instead of the API answering 500.
            log.warning("app %s/%s failed in the model: %s", rec.ns, rec.name, exc)
            self._fail(rec, f"failed to submit: {exc}", now)
            return
        self.apply(changes, now)
        self.wake()

    def _fail(self, rec: Record, message: str, now: float) -> None:
        ts = clock.iso(now)[:19] + "Z"
        for state in ("SUBMISSION_FAILED", "FAILED"):
            status = {"applicationState": {"state": state, "errorMessage": message}, "submissionAttempts": 1,
                      "executionAttempts": 0, "lastSubmissionAttemptTime": ts, "terminationTime": ts,
                      "driverInfo": {}}  # fmt: skip
            self._app_status(AppStatus(rec.ns, rec.name, status), now)

    def app_deleted(self, ns: str, name: str, now: float) -> None:
        try:
            self.apply(self.model.app_deleted(ns, name, now), now)
        except (KeyError, ValueError):  # an app the model never took (see app_created): nothing to undo
            log.debug("model did not know app %s/%s", ns, name)
        self.collect_pods(ns, name, now)
        self.wake()

    def pod_deleted(self, ns: str, name: str, now: float) -> None:
        try:
            self.apply(self.model.pod_deleted(ns, name, now), now)
        except (KeyError, ValueError):  # a pod created through the API: the model never knew it
            log.debug("model did not know pod %s/%s", ns, name)
        if is_daemon_pod(ns, name):  # the DaemonSet controller puts it back
            self.daemonsets.sync(now)
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
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that arrives as the
                # event is set (a write wakes the driver while stop() cancels it), and stop() then hangs.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
            try:
                await self._catch_up(time.time())
            except Exception:  # a model bug must not kill the server; it is logged and the loop goes on
                log.exception("model.advance failed")
                await asyncio.sleep(0.1)

    async def _catch_up(self, now: float) -> None:
        """Advance to `now` in slices of SLICE seconds of model time, yielding between slices, so that a
        backlog (the model fell behind a burst of creates) is applied in bounded batches: requests are
        served and watch buffers flushed in between."""
        due = self.model.next_event_time()
        while due is not None and due <= now:
            upto = min(now, due + SLICE)
            self.apply(self.model.advance(upto), time.time())
            await asyncio.sleep(0)
            due = self.model.next_event_time()
