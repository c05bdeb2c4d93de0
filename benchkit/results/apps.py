"""`apps.csv`: one row per app of the run, derived from the journal.

Client times are seconds after the schedule origin t0 (monotonic clock); server times are copied
as the API server wrote them (RFC 3339, 1 s resolution on a real cluster).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchkit.results import journal
from benchkit.results.records import AppRecord, fold
from benchkit.spark import states

APPS_FILE = "apps.csv"
COLUMNS = (
    "app", "namespace", "seq", "create_ok", "http_status", "attempts", "error",
    "due_s", "sent_s", "ack_s", "lateness_s", "create_call_s",
    "seen_new_s", "seen_submitted_s", "seen_running_s", "seen_terminal_s", "final_state",
    "driver_pending_s", "driver_running_s", "status_lag_s", "driver_node",
    "executors_seen", "executors_started",
    "creation_timestamp", "last_submission_attempt_time", "termination_time",
    "submission_attempts", "execution_attempts", "driver_scheduled", "driver_started", "error_message",
    "deleted_s", "deleted_by", "observed_by_list",
)  # fmt: skip


def rows(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per app (in submission order, then tracker-only apps), keyed by COLUMNS."""
    apps, facts = fold(events)
    t0 = facts.start.get("t0_mono") or facts.first_mono or 0.0
    ordered = sorted(apps.values(), key=lambda r: (r.seq is None, r.seq if r.seq is not None else 0, r.name))
    return [_row(r, t0) for r in ordered]


def write(run_dir: Path | str) -> int:
    """Rebuild `apps.csv` from `events.jsonl`; returns the number of rows."""
    table = rows(journal.read(run_dir))
    path = Path(run_dir) / APPS_FILE
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    os.replace(tmp, path)
    return len(table)


def _row(r: AppRecord, t0: float) -> dict[str, Any]:
    def rel(t: float | None) -> float | None:
        return None if t is None else round(t - t0, 4)

    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(a - b, 4)

    running = r.seen.get(states.RUNNING)
    return {
        "app": r.name, "namespace": r.ns, "seq": r.seq,
        "create_ok": r.ok, "http_status": r.http_status, "attempts": r.attempts, "error": r.error,
        "due_s": rel(r.due), "sent_s": rel(r.sent), "ack_s": rel(r.ack),
        "lateness_s": diff(r.sent, r.due), "create_call_s": diff(r.ack, r.due),
        "seen_new_s": rel(r.seen.get(states.NEW)), "seen_submitted_s": rel(r.seen.get(states.SUBMITTED)),
        "seen_running_s": rel(running), "seen_terminal_s": rel(r.terminal), "final_state": r.final_state,
        "driver_pending_s": rel(r.driver_seen.get("Pending")), "driver_running_s": rel(r.driver_seen.get("Running")),
        "status_lag_s": diff(running, r.driver_seen.get("Running")), "driver_node": r.driver_node,
        "executors_seen": len(r.executors), "executors_started": len(r.executors_running),
        "creation_timestamp": r.server.get("creationTimestamp") or r.creation_ts,
        "last_submission_attempt_time": r.server.get("lastSubmissionAttemptTime"),
        "termination_time": r.server.get("terminationTime"),
        "submission_attempts": r.server.get("submissionAttempts"),
        "execution_attempts": r.server.get("executionAttempts"),
        "driver_scheduled": r.driver_server.get("scheduled"), "driver_started": r.driver_server.get("startTime"),
        "error_message": r.server.get("errorMessage"),
        "deleted_s": rel(r.deleted), "deleted_by": r.deleted_by,
        "observed_by_list": ",".join(sorted(s for s, how in r.observed.items() if how != "watch")) or None,
    }  # fmt: skip
