"""The lifecycle tracker: watches a run's SparkApplications and pods, journals every first-seen state.

Runs as threads (greenlets inside the gevent-patched `benchkit run` process). In the `delete`
scenario it deletes each app once it is terminal. `wait()` returns when every created app is done.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from benchkit.errors import StatusError, TransportError
from benchkit.kube import labels, rest, retry
from benchkit.kube.rest import ApiClient
from benchkit.results import journal
from benchkit.spark import states, template
from benchkit.tracker.contact import Contact
from benchkit.tracker.state import Counts, Event, TrackState
from benchkit.tracker.watch import Collection, WatchLoop

SCOPES = ("namespace", "cluster")
DELETE_WORKERS = 4
DELETE_POLICY = retry.DEFAULT
"""Deletes in the `delete` scenario: the one policy's defaults (6 attempts, 0.2 s .. 10 s, Retry-After honoured)."""
POLL_S = 0.2


def collections(namespaces: Iterable[str], scope: str) -> list[Collection]:
    """What to watch: apps and pods, one watch each per namespace (default) or cluster-wide."""
    apps = f"/apis/{template.GROUP}/{template.VERSION}"
    if scope == "cluster":
        return [
            Collection("sparkapplications", f"{apps}/{template.PLURAL}", None),
            Collection("pods", "/api/v1/pods", None),
        ]
    out = []
    for ns in namespaces:
        out.append(Collection("sparkapplications", f"{apps}/namespaces/{ns}/{template.PLURAL}", ns))
        out.append(Collection("pods", f"/api/v1/namespaces/{ns}/pods", ns))
    return out


class Tracker:
    """Observe one run. `start()`, then `wait(...)`, then `stop()` (which returns request counts)."""

    def __init__(self, api: ApiClient, *, run_id: str, namespaces: Iterable[str], scenario: str,
                 journal_: journal.Journal, scope: str = "namespace") -> None:  # fmt: skip
        self.run_id, self.namespaces, self.scenario = run_id, tuple(namespaces), scenario
        self.api = rest.tuned(api, pool_maxsize=2 * len(self.namespaces) + DELETE_WORKERS + 2)
        self.journal = journal_
        self.state = TrackState()
        self.delete_requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deletes: queue.Queue[tuple[str, str] | None] = queue.Queue()
        selector = labels.run_selector(run_id)
        self.contact = Contact(journal_)
        """Whether the API server answers the watch loops (lost/regained are journaled)."""
        self.loops = [WatchLoop(self.api, c, selector, self, journal_=journal_, stop=self._stop, contact=self.contact)
                      for c in collections(self.namespaces, scope)]  # fmt: skip
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        targets: list[Callable[[], None]] = [loop.run for loop in self.loops]
        if self.scenario == "delete":
            targets += [self._delete_worker] * DELETE_WORKERS
        for i, target in enumerate(targets):
            thread = threading.Thread(target=target, name=f"tracker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def synced(self) -> bool:
        """Every loop has listed once (it now holds a resourceVersion to watch from)."""
        return all(loop.rv is not None for loop in self.loops)

    def wait(self, expected: Iterable[str], deadline: float, abort: threading.Event | None = None) -> bool:
        """Block until every expected "namespace/name" is done, the monotonic deadline passes or `abort` is set.

        Returns True when all are done (terminal; and deleted in the `delete` scenario).
        """
        need_deleted = self.scenario == "delete"
        pending = list(expected)
        while True:
            with self._lock:
                pending = [k for k in pending if not self.state.is_done(k, need_deleted)]
            if not pending:
                return True
            if time.monotonic() >= deadline or (abort is not None and abort.is_set()):
                return False
            time.sleep(POLL_S)

    def stop(self) -> dict[str, int]:
        """Stop watching and deleting; returns the API requests made, by kind."""
        self._stop.set()
        for loop in self.loops:
            loop.stop()
        for _ in range(DELETE_WORKERS):
            self._deletes.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        watch_requests = sum(loop.requests for loop in self.loops)
        return {"api_requests": watch_requests, "delete_requests": self.delete_requests}

    def counts(self) -> Counts:
        return self.state.counts

    # -- Sink (called by the watch loops) --------------------------------------------------------

    def on_event(self, resource: str, kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        ns, name = str(meta.get("namespace")), str(meta.get("name"))
        with self._lock:
            if resource == "pods":
                events = self.state.pod(obj, "watch")
                if kind == "DELETED":
                    self.state.pod_gone(ns, name)
            else:
                events = self.state.app(obj, "watch")
                if kind == "DELETED":
                    events += self.state.app_gone(ns, name)
            self._emit(events)

    def on_relist(self, resource: str, namespace: str | None, pages: Callable[[], Any]) -> None:
        present: set[str] = set()
        for items in pages():
            with self._lock:
                for obj in items:
                    meta = obj.get("metadata") or {}
                    present.add(f"{meta.get('namespace')}/{meta.get('name')}")
                    self._emit(self.state.pod(obj, "list") if resource == "pods" else self.state.app(obj, "list"))
        with self._lock:
            if resource == "pods":
                self.state.pods_missing(present, namespace)
            else:
                self._emit(self.state.apps_missing(present, namespace))

    def _emit(self, events: list[Event]) -> None:
        """Journal (under the lock, so one app's events keep their order) and queue deletions."""
        for kind, fields in events:
            self.journal.emit(kind, **fields)
            if kind == journal.APP and self.scenario == "delete" and fields["state"] in states.TERMINAL:
                self.state.mark_delete_requested(fields["ns"], fields["app"])
                self._deletes.put((fields["ns"], fields["app"]))

    # -- the delete scenario ---------------------------------------------------------------------

    def _delete_worker(self) -> None:
        while True:
            item = self._deletes.get()
            if item is None or self._stop.is_set():
                return
            self._delete(*item)

    def _delete(self, ns: str, name: str) -> None:
        path = f"/apis/{template.GROUP}/{template.VERSION}/namespaces/{ns}/{template.PLURAL}/{name}"
        attempts = 0

        def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            self.delete_requests += 1
            return rest.call(self.api, "DELETE", path, body={"propagationPolicy": "Background"}, timeout=(10, 60))

        if self._stop.is_set():
            return
        try:
            DELETE_POLICY.call(attempt, sleep=self._stop.wait, stop=self._stop)
        except StatusError as exc:
            if exc.status == 404:
                return  # already gone (the operator's timeToLiveSeconds); the watch journals it
            if not self._stop.is_set():
                self._delete_failed(ns, name, _after(attempts, f"HTTP {exc.status} {exc.reason}"))
            return
        except TransportError as exc:
            if not self._stop.is_set():
                self._delete_failed(ns, name, _after(attempts, str(exc)))
            return
        with self._lock:
            self._emit(self.state.app_gone(ns, name))

    def _delete_failed(self, ns: str, name: str, error: str) -> None:
        """Journal it and stop waiting for this app (cleanup deletes what is left, by label)."""
        with self._lock:
            self.state.mark_delete_failed(ns, name)
        self.journal.emit(journal.STAGE, name="delete_failed", detail={"app": name, "ns": ns, "error": error})


def _after(attempts: int, error: str) -> str:
    return error if attempts == 1 else f"gave up after {attempts} attempts: {error}"
