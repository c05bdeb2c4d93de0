"""What the tracker has seen, kept compact, and which journal events a newly observed object makes.

Pure (no I/O): given decoded SparkApplication / Pod dicts, return the `app` / `pod` / `app_deleted`
events to journal. Per app and per pod only a small int of "states already journaled" bits is kept,
so 6,000 apps and 36,000 pods cost a few MB whatever the size of the objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchkit.kube import labels
from benchkit.results import journal
from benchkit.spark import states

Event = tuple[str, dict[str, Any]]
"""(journal event type, fields)."""

APP_BITS = {state: 1 << i for i, state in enumerate(states.ALL)}
POD_PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
POD_BITS = {phase: 1 << i for i, phase in enumerate(POD_PHASES)}
_TERMINAL = 1 << 20
_DELETE_REQUESTED = 1 << 21
_DELETED = 1 << 22
_DELETE_FAILED = 1 << 23
_SUBMITTED_OR_LATER = (states.SUBMITTED, states.RUNNING, states.SUCCEEDING, states.COMPLETED, states.FAILING)
_SUBMITTED_MASK = sum(APP_BITS[s] for s in _SUBMITTED_OR_LATER)


@dataclass
class Counts:
    """Live progress: how many apps reached each stage (for the progress display)."""

    seen: int = 0
    submitted: int = 0
    running: int = 0
    """Now: seen RUNNING and not yet terminal."""
    completed: int = 0
    failed: int = 0
    deleted: int = 0
    pods: int = 0


@dataclass
class TrackState:
    """The tracker's memory of one run. Keys are "namespace/name"."""

    apps: dict[str, int] = field(default_factory=dict)
    pods: dict[str, int] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)

    def app(self, obj: dict[str, Any], observed: str) -> list[Event]:
        """An app was added or modified (or listed): journal each state seen for the first time.

        States its status proves it passed through but that were never seen (a relist after 410 Gone
        skips what happened meanwhile) are journaled first, oldest first, with observed "inferred".
        """
        meta = obj.get("metadata") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        state = states.state_of(obj)
        bits = self.apps.get(key)
        if bits is None:
            bits = 0
            self.counts.seen += 1
        self.apps[key] = bits
        if bits & APP_BITS.get(state, APP_BITS[states.UNKNOWN]):
            return []
        events = [
            self._app_state(key, obj, s, "inferred") for s in states.implied(obj) if not self.apps[key] & APP_BITS[s]
        ]
        return [*events, self._app_state(key, obj, state, observed)]

    def _app_state(self, key: str, obj: dict[str, Any], state: str, observed: str) -> Event:
        bits = self.apps[key]
        self._count_state(bits, state)
        bits |= APP_BITS.get(state, APP_BITS[states.UNKNOWN])
        if states.is_terminal(state):
            bits |= _TERMINAL
        self.apps[key] = bits
        meta, status = obj.get("metadata") or {}, obj.get("status") or {}
        server = {
            "creationTimestamp": meta.get("creationTimestamp"),
            "lastSubmissionAttemptTime": status.get("lastSubmissionAttemptTime") or None,
            "terminationTime": status.get("terminationTime") or None,
            "submissionAttempts": status.get("submissionAttempts"),
            "executionAttempts": status.get("executionAttempts"),
            "driverPod": (status.get("driverInfo") or {}).get("podName"),
            "errorMessage": (status.get("applicationState") or {}).get("errorMessage") or None,
        }
        fields = {"app": meta.get("name"), "ns": meta.get("namespace"), "state": state,
                  "rv": meta.get("resourceVersion"), "observed": observed, "server": server}  # fmt: skip
        return (journal.APP, fields)

    def pod(self, obj: dict[str, Any], observed: str) -> list[Event]:
        """A pod of the run was added or modified (or listed): journal each phase seen for the first time."""
        meta = obj.get("metadata") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        status = obj.get("status") or {}
        phase = status.get("phase") or "Pending"
        bits = self.pods.get(key)
        if bits is None:
            bits = 0
            self.counts.pods += 1
        bit = POD_BITS.get(phase, POD_BITS["Unknown"])
        if bits & bit:
            return []
        self.pods[key] = bits | bit
        pod_labels = meta.get("labels") or {}
        server = {
            "creationTimestamp": meta.get("creationTimestamp"),
            "scheduled": _condition_time(status, "PodScheduled"),
            "startTime": status.get("startTime"),
            "containerStarted": _container_started(status),
        }
        fields = {"app": pod_labels.get(labels.SPARK_APP_NAME), "ns": meta.get("namespace"), "pod": meta.get("name"),
                  "role": pod_labels.get(labels.SPARK_ROLE), "phase": phase,
                  "node": (obj.get("spec") or {}).get("nodeName"), "rv": meta.get("resourceVersion"),
                  "observed": observed, "server": server}  # fmt: skip
        return [(journal.POD, fields)]

    def app_gone(self, namespace: str, name: str) -> list[Event]:
        """The app is no longer on the server (a DELETED event, or missing from a relist)."""
        key = f"{namespace}/{name}"
        bits = self.apps.get(key)
        if bits is None or bits & _DELETED:
            return []
        self.apps[key] = bits | _DELETED
        self.counts.deleted += 1
        by = "benchkit" if bits & _DELETE_REQUESTED else "server"
        return [(journal.APP_DELETED, {"app": name, "ns": namespace, "by": by})]

    def pod_gone(self, namespace: str, name: str) -> None:
        """Forget a deleted pod: nothing more will be journaled about it."""
        self.pods.pop(f"{namespace}/{name}", None)

    def apps_missing(self, present: set[str], namespace: str | None) -> list[Event]:
        """After a relist: apps we knew that are no longer on the server were deleted meanwhile."""
        out: list[Event] = []
        for key, bits in list(self.apps.items()):
            ns, name = key.split("/", 1)
            if key not in present and not bits & _DELETED and (namespace is None or ns == namespace):
                out += self.app_gone(ns, name)
        return out

    def pods_missing(self, present: set[str], namespace: str | None) -> None:
        """After a relist: forget pods that are gone."""
        for key in [k for k in self.pods if k not in present and (namespace is None or k.startswith(f"{namespace}/"))]:
            del self.pods[key]

    def mark_delete_requested(self, namespace: str, name: str) -> None:
        key = f"{namespace}/{name}"
        self.apps[key] = self.apps.get(key, 0) | _DELETE_REQUESTED

    def mark_delete_failed(self, namespace: str, name: str) -> None:
        key = f"{namespace}/{name}"
        self.apps[key] = self.apps.get(key, 0) | _DELETE_FAILED

    def is_done(self, key: str, need_deleted: bool) -> bool:
        """Terminal (and deleted, when the scenario deletes, or given up on), or gone from the server."""
        bits = self.apps.get(key, 0)
        if bits & (_DELETED | _DELETE_FAILED):
            return True
        return bool(bits & _TERMINAL) and not need_deleted

    def is_terminal(self, key: str) -> bool:
        return bool(self.apps.get(key, 0) & _TERMINAL)

    def _count_state(self, bits: int, state: str) -> None:
        if state in _SUBMITTED_OR_LATER and not bits & _SUBMITTED_MASK:
            self.counts.submitted += 1
        if state == states.RUNNING:
            self.counts.running += 1
        elif state in states.TERMINAL:
            if bits & APP_BITS[states.RUNNING]:
                self.counts.running -= 1  # `running` counts apps running now
            if state == states.COMPLETED:
                self.counts.completed += 1
            else:
                self.counts.failed += 1


def _condition_time(status: dict[str, Any], kind: str) -> str | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == kind and cond.get("status") == "True":
            return cond.get("lastTransitionTime")  # type: ignore[no-any-return]
    return None


def _container_started(status: dict[str, Any]) -> str | None:
    for cs in status.get("containerStatuses") or []:
        started = ((cs.get("state") or {}).get("running") or {}).get("startedAt")
        if started:
            return started  # type: ignore[no-any-return]
        started = ((cs.get("state") or {}).get("terminated") or {}).get("startedAt")
        if started:
            return started  # type: ignore[no-any-return]
    return None
