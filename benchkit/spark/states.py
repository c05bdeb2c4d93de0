"""SparkApplication states (kubeflow/spark-operator api/v1beta2) and what benchkit derives from them."""

from __future__ import annotations

from typing import Any

NEW = "NEW"  # the operator writes "" before its first reconcile; benchkit journals it as NEW
SUBMITTED = "SUBMITTED"
RUNNING = "RUNNING"
SUCCEEDING = "SUCCEEDING"
COMPLETED = "COMPLETED"
FAILING = "FAILING"
FAILED = "FAILED"
SUBMISSION_FAILED = "SUBMISSION_FAILED"
PENDING_RERUN = "PENDING_RERUN"
INVALIDATING = "INVALIDATING"
SUSPENDING = "SUSPENDING"
SUSPENDED = "SUSPENDED"
RESUMING = "RESUMING"
UNKNOWN = "UNKNOWN"

ALL = (
    NEW, SUBMITTED, RUNNING, SUCCEEDING, COMPLETED, FAILING, FAILED, SUBMISSION_FAILED,
    PENDING_RERUN, INVALIDATING, SUSPENDING, SUSPENDED, RESUMING, UNKNOWN,
)  # fmt: skip
TERMINAL = frozenset({COMPLETED, FAILED})
"""With restartPolicy Never, COMPLETED and FAILED are final (SUBMISSION_FAILED moves on to FAILED)."""
SUCCESS = frozenset({COMPLETED})


def state_of(app: dict[str, Any]) -> str:
    """The application state of a SparkApplication object (NEW when the operator has not written one)."""
    status = app.get("status") or {}
    state = (status.get("applicationState") or {}).get("state") or ""
    return state or NEW


def is_terminal(state: str) -> bool:
    return state in TERMINAL
