"""Fold a run's journal into one record per app (and the run-level facts the summary needs).

Pure: events in, records out. `summary.py` and `apps.py` both start here, so `summary.json` and
`apps.csv` always agree, and both can be rebuilt from `events.jsonl` after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from benchkit.results import journal
from benchkit.spark import states

DRIVER = "driver"
EXECUTOR = "executor"
PROCESSED = frozenset(states.ALL) - {states.NEW}
"""States that mean the operator has picked the app up (for backlog and operator throughput)."""
SUBMITTED_OR_LATER = frozenset({states.SUBMITTED, states.RUNNING, states.SUCCEEDING, states.COMPLETED, states.FAILING})


@dataclass
class AppRecord:
    """Everything the journal says about one app. Client times are monotonic seconds."""

    name: str
    ns: str
    seq: int | None = None
    due: float | None = None
    sent: float | None = None
    ack: float | None = None
    ok: bool | None = None
    """None: no final `submit` event (the process died mid-create, or the tracker saw an app it did not send)."""
    http_status: int | None = None
    attempts: int = 0
    error: str | None = None
    uid: str | None = None
    creation_ts: str | None = None
    seen: dict[str, float] = field(default_factory=dict)
    """state -> first client time the tracker saw the app in it."""
    observed: dict[str, str] = field(default_factory=dict)
    """state -> "watch" | "list" | "inferred" (implied by a listed status, see spark.states.implied)."""
    server: dict[str, Any] = field(default_factory=dict)
    """Latest non-null server fields (creationTimestamp, lastSubmissionAttemptTime, terminationTime, ...)."""
    driver_seen: dict[str, float] = field(default_factory=dict)
    """driver pod phase -> first client time."""
    driver_server: dict[str, Any] = field(default_factory=dict)
    driver_node: str | None = None
    executors: set[str] = field(default_factory=set)
    executors_running: set[str] = field(default_factory=set)
    deleted: float | None = None
    deleted_by: str | None = None

    @property
    def final_state(self) -> str | None:
        """The latest state seen (by first-seen time); terminal states win."""
        for state in (states.COMPLETED, states.FAILED):
            if state in self.seen:
                return state
        return max(self.seen, key=lambda s: self.seen[s]) if self.seen else None

    @property
    def terminal(self) -> float | None:
        times = [self.seen[s] for s in states.TERMINAL if s in self.seen]
        return min(times) if times else None

    @property
    def processed(self) -> float | None:
        """First time seen in any state but NEW: the operator has taken it off its queue."""
        times = [t for s, t in self.seen.items() if s in PROCESSED]
        return min(times) if times else None

    @property
    def submitted_or_later(self) -> float | None:
        times = [t for s, t in self.seen.items() if s in SUBMITTED_OR_LATER]
        return min(times) if times else None


@dataclass
class RunFacts:
    """Run-level events: the run_start fields, stages, the end, cleanup, counters."""

    start: dict[str, Any] = field(default_factory=dict)
    end: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    cleanup: dict[str, Any] = field(default_factory=dict)
    retries: list[dict[str, Any]] = field(default_factory=list)
    inflight_cap_hits: int = 0
    watch: dict[str, int] = field(default_factory=dict)
    """"<resource>:<what>" -> count of watch events (opens, errors, 410s, relists)."""
    first_mono: float | None = None
    last_mono: float | None = None


def fold(events: Iterable[dict[str, Any]]) -> tuple[dict[tuple[str, str], AppRecord], RunFacts]:
    """Apps keyed by (namespace, name), in first-mention order, and the run facts."""
    apps: dict[tuple[str, str], AppRecord] = {}
    facts = RunFacts()
    for ev in events:
        kind = ev.get("ev")
        mono = ev.get("mono")
        if isinstance(mono, int | float):
            facts.first_mono = mono if facts.first_mono is None else min(facts.first_mono, mono)
            facts.last_mono = mono if facts.last_mono is None else max(facts.last_mono, mono)
        if kind in _APP_FOLDERS:
            key = (ev["ns"], ev["app"])
            record = apps.get(key)
            if record is None:
                record = apps[key] = AppRecord(name=ev["app"], ns=ev["ns"])
            _APP_FOLDERS[kind](record, ev)
        else:
            _fold_run(facts, kind, ev)
    return apps, facts


def _fold_sent(r: AppRecord, ev: dict[str, Any]) -> None:
    r.seq, r.due = ev.get("seq"), ev.get("due_mono")
    r.sent = r.sent if r.sent is not None else ev.get("mono")


def _fold_submit(r: AppRecord, ev: dict[str, Any]) -> None:
    r.seq, r.due, r.sent, r.ack = ev.get("seq"), ev.get("due_mono"), ev.get("sent_mono"), ev.get("ack_mono")
    r.ok, r.http_status, r.attempts = bool(ev.get("ok")), ev.get("http_status"), ev.get("attempts", 1)
    r.error, r.uid, r.creation_ts = ev.get("error"), ev.get("uid"), ev.get("creation_ts")


def _fold_app(r: AppRecord, ev: dict[str, Any]) -> None:
    state = ev["state"]
    if state not in r.seen or ev["mono"] < r.seen[state]:
        r.seen[state] = ev["mono"]
        r.observed[state] = ev.get("observed", "watch")
    for key, value in (ev.get("server") or {}).items():
        if value is not None:
            r.server[key] = value


def _fold_pod(r: AppRecord, ev: dict[str, Any]) -> None:
    phase, pod = ev["phase"], ev["pod"]
    if ev.get("role") == DRIVER:
        if phase not in r.driver_seen or ev["mono"] < r.driver_seen[phase]:
            r.driver_seen[phase] = ev["mono"]
        for key, value in (ev.get("server") or {}).items():
            if value is not None:
                r.driver_server[key] = value
        r.driver_node = ev.get("node") or r.driver_node
    elif ev.get("role") == EXECUTOR:
        r.executors.add(pod)
        ran = phase in ("Succeeded", "Failed") and (ev.get("server") or {}).get("startTime")
        if phase == "Running" or ran:
            r.executors_running.add(pod)


def _fold_deleted(r: AppRecord, ev: dict[str, Any]) -> None:
    if r.deleted is None:
        r.deleted, r.deleted_by = ev["mono"], ev.get("by")


_APP_FOLDERS = {
    journal.SUBMIT_SENT: _fold_sent,
    journal.SUBMIT: _fold_submit,
    journal.APP: _fold_app,
    journal.POD: _fold_pod,
    journal.APP_DELETED: _fold_deleted,
}


def _fold_run(facts: RunFacts, kind: Any, ev: dict[str, Any]) -> None:
    if kind == journal.RUN_START:
        facts.start = ev
    elif kind == journal.RUN_END:
        facts.end = ev
    elif kind == journal.STAGE:
        facts.stages[ev.get("name", "")] = ev
    elif kind == journal.CLEANUP:
        facts.cleanup = ev
    elif kind == journal.SUBMIT_RETRY:
        facts.retries.append(ev)
    elif kind == journal.INFLIGHT_CAP:
        facts.inflight_cap_hits += 1
    elif kind == journal.WATCH:
        key = f"{ev.get('resource')}:{ev.get('what')}"
        facts.watch[key] = facts.watch.get(key, 0) + 1
