"""SparkApplication states and what benchkit derives from them.

kubeflow/spark-operator v2.1.0 api/v1beta2/sparkapplication_types.go `ApplicationStateType`: the eleven from NEW
("" in the API) to UNKNOWN; SUSPENDING, SUSPENDED and RESUMING first at v2.4.0 (and at v2.5.2), so a v2.1.0
operator never writes them. SUBMISSION_FAILED moves on to FAILED unless the restart policy retries it
(v2.1.0 internal/controller/sparkapplication/controller.go `reconcileFailedSubmissionSparkApplication`).
"""

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


def implied(app: dict[str, Any]) -> tuple[str, ...]:
    """States the app must already have passed through, given its current status, oldest first.

    From the v1beta2 state machine: every app starts NEW; a successful spark-submit (`executionAttempts`
    >= 1) wrote SUBMITTED; COMPLETED follows SUCCEEDING; FAILED follows FAILING when a driver ran, and
    SUBMISSION_FAILED when none did. RUNNING is never implied: the operator derives it from the driver
    pod, which can go from Pending to Succeeded between two reconciles (SUBMITTED -> SUCCEEDING).
    A relist after 410 Gone uses this to journal the states that happened while it was not watching.
    """
    state = state_of(app)
    if state == NEW:
        return ()
    status = app.get("status") or {}
    executed = _count(status.get("executionAttempts")) >= 1
    out = [NEW]
    if executed and state != SUBMITTED:
        out.append(SUBMITTED)
    if state == COMPLETED:
        out.append(SUCCEEDING)
    elif state == FAILED and executed:
        out.append(FAILING)
    elif state == FAILED and _count(status.get("submissionAttempts")) >= 1:
        out.append(SUBMISSION_FAILED)
    return tuple(out)


def _count(value: Any) -> int:
    return value if isinstance(value, int) else 0
