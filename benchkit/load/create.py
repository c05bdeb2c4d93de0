"""Create one SparkApplication, retrying what is worth retrying; every attempt is journaled.

The retries are the one policy of `benchkit.kube.retry` (429 after Retry-After, 5xx, timeouts and resets
with bounded exponential backoff and jitter, anything else final at once), with a create's own budget.
No Locust or gevent here: the pause is `time.sleep` as the process made it (a greenlet switch once gevent
has patched it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from benchkit import clock
from benchkit.errors import StatusError, TransportError
from benchkit.kube import labels, rest, retry
from benchkit.kube.rest import ApiClient
from benchkit.results import journal
from benchkit.spark import template

POLICY = retry.RetryPolicy(attempts=8, first_s=0.25, max_s=8.0, retry_after_cap_s=30.0)
"""Attempts per job; the backoff rides out about 12-24 s of API outage (e.g. a control-plane restart)."""
MAX_ATTEMPTS = POLICY.attempts
BACKOFF = (POLICY.first_s, POLICY.max_s)
"""First and largest backoff (seconds) after a 5xx or a transport error."""
RETRY_AFTER_CAP_S = POLICY.retry_after_cap_s
TIMEOUT = (10.0, 30.0)
"""(connect, read) seconds for one create call."""


@dataclass
class Outcome:
    """How one job's creation ended (after its last attempt)."""

    ok: bool
    http_status: int | None
    attempts: int
    error: str | None
    sent_mono: float
    ack_mono: float
    uid: str | None = None
    creation_ts: str | None = None


def retry_delay(attempt: int, status: int | None, retry_after: str | None, rng: random.Random) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None when the outcome is final (POLICY's decision).

    `status` is the HTTP status (None for a transport error: timeout, reset, refused).

    >>> retry_delay(1, 422, None, random.Random(0)) is None
    True
    """
    return POLICY.delay(attempt, status, retry_after, rng)


def create(api: ApiClient, app: dict[str, Any], *, seq: int, journal_: journal.Journal,
           sleep: Callable[[float], None] | None = None, rng: random.Random | None = None) -> Outcome:  # fmt: skip
    """POST the app; retry per POLICY; journal a `submit_retry` per failed attempt that is retried."""
    meta = app["metadata"]
    ns, name, run_id = meta["namespace"], meta["name"], meta["labels"][labels.RUN_ID]
    path = f"/apis/{template.GROUP}/{template.VERSION}/namespaces/{ns}/{template.PLURAL}"
    sent = clock.mono()
    attempts = 0
    unanswered = False

    def attempt() -> Any:
        nonlocal attempts, unanswered
        attempts += 1
        try:
            return rest.call(api, "POST", path, body=app, timeout=TIMEOUT)
        except TransportError:
            unanswered = True
            raise
        except StatusError as exc:
            if exc.status == 409 and attempts > 1:
                # an earlier attempt reached the server before its answer was lost: it is ours if it has our label
                ours = _ours(api, f"{path}/{name}", run_id)
                if ours is not None:
                    return ours
            raise

    def journal_retry(number: int, exc: BaseException, pause: float) -> None:
        status, _ = retry.describe(exc)
        journal_.emit(journal.SUBMIT_RETRY, app=name, ns=ns, seq=seq, attempt=number, http_status=status,
                      reason=_error(exc), backoff_s=round(pause, 3))  # fmt: skip

    try:
        body = POLICY.call(attempt, sleep=sleep, on_retry=journal_retry, rng=rng)
    except (StatusError, TransportError) as exc:
        if unanswered:  # an attempt got no answer: did it create the app anyway?
            ours = _ours(api, f"{path}/{name}", run_id)
            if ours is not None:
                return _created(ours, attempts, sent)
        return Outcome(False, retry.describe(exc)[0], attempts, _error(exc), sent, clock.mono())
    return _created(body or {}, attempts, sent)


def _created(body: dict[str, Any], attempts: int, sent: float) -> Outcome:
    meta = body.get("metadata") or {}
    return Outcome(True, 201, attempts, None, sent, clock.mono(), meta.get("uid"), meta.get("creationTimestamp"))


def _error(exc: BaseException) -> str:
    if isinstance(exc, StatusError):
        return f"HTTP {exc.status} {_reason(exc)}"
    return f"transport: {exc}"[:300]


def _reason(exc: StatusError) -> str:
    """The Status message when the server sent one, else the HTTP reason phrase."""
    try:
        message = orjson.loads(exc.body or b"{}").get("message")
    except (ValueError, AttributeError, TypeError):
        message = None
    return " ".join(str(message or exc.reason or "").split())[:200]


def _ours(api: ApiClient, path: str, run_id: str) -> dict[str, Any] | None:
    try:
        body = rest.call(api, "GET", path, timeout=TIMEOUT)
    except (StatusError, TransportError):
        return None
    owned = ((body or {}).get("metadata") or {}).get("labels", {}).get(labels.RUN_ID) == run_id
    return body if owned else None
