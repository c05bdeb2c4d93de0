"""The SparkApplication state machine (v1beta2, restartPolicy Never) as a pure function: the status the
next reconcile writes. New → SUBMITTED → RUNNING → SUCCEEDING → COMPLETED; failures end in FAILED.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from benchkit.twin.model.apps import App
from benchkit.twin.model.context import Ctx
from benchkit.twin.model.pods import FAILED, PENDING, RUNNING, SUCCEEDED

_DRIVER_STATE = {PENDING: "SUBMITTED", RUNNING: "RUNNING", SUCCEEDED: "SUCCEEDING", FAILED: "FAILING"}
_EXECUTOR_STATE = {PENDING: "PENDING", RUNNING: "RUNNING", SUCCEEDED: "COMPLETED", FAILED: "FAILED"}
SUBMIT_ERROR = "failed to run spark-submit: exit status 1 (twin.benchkit.io/fail: submission)"


@dataclass(frozen=True)
class Decision:
    status: dict[str, Any] | None
    """The status to write, or None when nothing changes."""
    termination: float | None = None
    """Set terminationTime to this (when the app reaches a final state)."""
    recheck_at: float | None = None
    """Reconcile again at this time (the driver pod creation grace period)."""


def next_status(app: App, now: float, ctx: Ctx) -> Decision:  # noqa: PLR0911 - one return per state
    state = app.state
    if state == "":
        if app.spec.fail == "submission":
            return Decision(_status(app, ctx, "SUBMISSION_FAILED", SUBMIT_ERROR, submitted=False))
        return Decision(_status(app, ctx, "SUBMITTED"))
    if state == "SUBMISSION_FAILED":
        return Decision(_status(app, ctx, "FAILED", SUBMIT_ERROR, submitted=False, termination=now), termination=now)
    if state == "SUCCEEDING":
        return Decision(_status(app, ctx, "COMPLETED"))
    if state == "FAILING":
        return Decision(_status(app, ctx, "FAILED", app.status["applicationState"].get("errorMessage")))
    if state not in ("SUBMITTED", "RUNNING", "UNKNOWN"):
        return Decision(None)
    driver = app.driver
    if driver is None or not driver.alive:
        grace_end = app.attempt_start + ctx.profile.driver_pod_grace
        if now < grace_end:
            return Decision(None, recheck_at=grace_end)
        return Decision(_status(app, ctx, "FAILING", "driver pod not found", termination=now), termination=now)
    new = _DRIVER_STATE.get(driver.phase, "UNKNOWN")
    if new in ("SUCCEEDING", "FAILING"):
        message: str | None = None
        if new == "FAILING":
            message = f"driver container failed with ExitCode: {driver.exit_code}, Reason: Error"
        return Decision(_status(app, ctx, new, message, termination=now), termination=now)
    return Decision(_status(app, ctx, new))


def _status(
    app: App,
    ctx: Ctx,
    state: str,
    error: str | None = None,
    *,
    submitted: bool = True,
    termination: float | None = None,
) -> dict[str, Any]:
    app_state: dict[str, Any] = {"state": state}
    if error:
        app_state["errorMessage"] = error
    end = termination if termination is not None else (app.termination or None)
    status: dict[str, Any] = {
        "applicationState": app_state,
        "lastSubmissionAttemptTime": ctx.ts(app.attempt_start),
        "terminationTime": ctx.ts(end) if end is not None else None,
        "submissionAttempts": 1,
        "submissionID": app.submission_id,
    }
    if submitted:
        name = app.spec.name
        status["executionAttempts"] = 1
        status["sparkApplicationId"] = app.spark_app_id
        status["driverInfo"] = {
            "podName": f"{name}-driver",
            "webUIServiceName": f"{name}-ui-svc",
            "webUIPort": 4040,
            "webUIAddress": f"172.20.{zlib.crc32(name.encode()) % 250}.{len(name) % 250 + 1}:4040",
        }
        executors = _executor_states(app, state)
        if executors:
            status["executorState"] = executors
    return status


def _executor_states(app: App, app_state: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pod in app.executors:
        state = _EXECUTOR_STATE.get(pod.phase, "UNKNOWN")
        if not pod.alive and state in ("PENDING", "RUNNING"):
            state = "COMPLETED" if app_state in ("SUCCEEDING", "COMPLETED") else "FAILED"
        out[pod.name] = state
    return out
