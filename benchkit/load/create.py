"""Create one SparkApplication, retrying what is worth retrying; every attempt is journaled.

429 waits for Retry-After; 5xx, timeouts and connection resets back off exponentially (with jitter,
bounded); anything else is final at once. No Locust or gevent here: `time.sleep` is whatever the
process made of it (a greenlet switch once gevent has patched it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
from kubernetes import client

from benchkit import clock
from benchkit.kube import labels, rest
from benchkit.results import journal
from benchkit.spark import template

MAX_ATTEMPTS = 8
"""Attempts per job; with BACKOFF that rides out about 12-24 s of API outage (e.g. a control-plane restart)."""
BACKOFF = (0.25, 8.0)
"""First and largest backoff (seconds) after a 5xx or a transport error."""
RETRY_AFTER_CAP_S = 30.0
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
    """Seconds to wait before attempt `attempt + 1`, or None when the outcome is final.

    `status` is the HTTP status (None for a transport error: timeout, reset, refused).

    >>> retry_delay(1, 422, None, random.Random(0)) is None
    True
    """
    if attempt >= MAX_ATTEMPTS:
        return None
    if status == 429:
        seconds = _parse_retry_after(retry_after)
        if seconds is not None:
            return min(RETRY_AFTER_CAP_S, seconds)
    elif status is not None and status < 500:
        return None
    ceiling = float(min(BACKOFF[1], BACKOFF[0] * 2 ** (attempt - 1)))
    return ceiling * rng.uniform(0.5, 1.0)


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After is delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - clock.wall())
    except (TypeError, ValueError):
        return None


def create(api: client.ApiClient, app: dict[str, Any], *, seq: int, journal_: journal.Journal,
           sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None) -> Outcome:  # fmt: skip
    """POST the app; retry per `retry_delay`; journal a `submit_retry` per failed attempt that is retried."""
    rng = rng or random.Random()
    meta = app["metadata"]
    ns, name = meta["namespace"], meta["name"]
    path = f"/apis/{template.GROUP}/{template.VERSION}/namespaces/{ns}/{template.PLURAL}"
    sent = clock.mono()
    attempt = 0
    unanswered = False
    while True:
        attempt += 1
        status, retry_after, error, body = _attempt(api, path, app)
        unanswered = unanswered or status is None
        if status == 409 and attempt > 1:
            # an earlier attempt reached the server before its answer was lost: it is ours if it has our label
            body = _ours(api, f"{path}/{name}", meta["labels"][labels.RUN_ID])
        if body is not None:
            return _created(body, attempt, sent)
        delay = retry_delay(attempt, status, retry_after, rng)
        if delay is None:
            if unanswered:  # an attempt got no answer: did it create the app anyway?
                body = _ours(api, f"{path}/{name}", meta["labels"][labels.RUN_ID])
                if body is not None:
                    return _created(body, attempt, sent)
            return Outcome(False, status, attempt, error, sent, clock.mono())
        journal_.emit(journal.SUBMIT_RETRY, app=name, ns=ns, seq=seq, attempt=attempt, http_status=status,
                      reason=error, backoff_s=round(delay, 3))  # fmt: skip
        sleep(delay)


def _created(body: dict[str, Any], attempts: int, sent: float) -> Outcome:
    meta = body.get("metadata") or {}
    return Outcome(True, 201, attempts, None, sent, clock.mono(), meta.get("uid"), meta.get("creationTimestamp"))


def _attempt(api: client.ApiClient, path: str, app: dict[str, Any]) -> tuple[int | None, str | None, str | None, Any]:
    """(status, Retry-After, error or None, body)."""
    try:
        body = rest.call(api, "POST", path, body=app, timeout=TIMEOUT)
    except client.ApiException as exc:
        headers = exc.headers or {}
        return exc.status, headers.get("Retry-After"), f"HTTP {exc.status} {_reason(exc)}", None
    except rest.TransportError as exc:
        return None, None, f"transport: {exc}"[:300], None
    return 201, None, None, body


def _reason(exc: client.ApiException) -> str:
    """The Status message when the server sent one, else the HTTP reason phrase."""
    try:
        message = orjson.loads(exc.body or b"{}").get("message")
    except (ValueError, AttributeError, TypeError):
        message = None
    return " ".join(str(message or exc.reason or "").split())[:200]


def _ours(api: client.ApiClient, path: str, run_id: str) -> dict[str, Any] | None:
    try:
        body = rest.call(api, "GET", path, timeout=TIMEOUT)
    except (client.ApiException, rest.TransportError):
        return None
    owned = ((body or {}).get("metadata") or {}).get("labels", {}).get(labels.RUN_ID) == run_id
    return body if owned else None
