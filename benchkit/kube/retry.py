"""The one retry policy for Kubernetes API calls: what is retried, and after how long.

Retried: 429 and 5xx answers, and transport errors (no HTTP answer: timeout, reset, refused). Everything
else (400, 403, 404, 409, 422, ...) is final at once. The pause is the server's Retry-After when it sent
one (delta-seconds or an HTTP-date, RFC 9110 section 10.2.3), capped; otherwise an exponential backoff
with jitter, bounded. The loop itself is tenacity's; its default sleep looks `time.sleep` up at each
call, so under gevent's monkey-patching a pause is a greenlet switch, never a blocked hub.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity

from benchkit import clock
from benchkit.errors import StatusError, TransportError

T = TypeVar("T")


def retryable(exc: BaseException) -> bool:
    """Worth another attempt: throttled (429), a server-side failure (5xx), or no answer at all."""
    if isinstance(exc, StatusError):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, TransportError)


def parse_retry_after(value: str | None, now: Callable[[], float] = clock.wall) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP-date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and the pauses between them. `delay` is the pure decision; `call` runs it."""

    attempts: int = 6
    first_s: float = 0.2
    """Backoff ceiling after the first failure; it doubles per attempt up to `max_s`."""
    max_s: float = 10.0
    retry_after_cap_s: float = 30.0

    def pause(self, attempt: int, status: int | None, retry_after: str | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), whatever the attempt budget."""
        seconds = parse_retry_after(retry_after)
        if seconds is not None:
            return min(self.retry_after_cap_s, seconds)
        ceiling = float(min(self.max_s, self.first_s * 2 ** (attempt - 1)))
        return ceiling * rng.uniform(0.5, 1.0)

    def delay(self, attempt: int, status: int | None, retry_after: str | None, rng: random.Random) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when the outcome is final.

        `status` is the HTTP status, None for a transport error.
        """
        if attempt >= self.attempts:
            return None
        if status is not None and status != 429 and status < 500:
            return None
        return self.pause(attempt, status, retry_after, rng)

    def call(self, fn: Callable[[], T], *, sleep: Callable[[float], object] | None = None,
             stop: threading.Event | None = None, on_retry: Callable[[int, BaseException, float], None] | None = None,
             rng: random.Random | None = None) -> T:  # fmt: skip
        """`fn()`, retried per this policy; the last error is raised as is.

        `sleep` defaults to `time.sleep` as patched at call time; `stop` ends the retries early (the
        last error is raised); `on_retry(attempt, error, pause)` runs before each pause.
        """
        try:  # the first attempt outside tenacity: a call that succeeds pays nothing for the policy
            return fn()
        except BaseException as exc:
            if not retryable(exc) or self.attempts <= 1:
                raise
            first = exc
        return self._retry(fn, first, sleep=sleep or _sleep, stop=stop, on_retry=on_retry, rng=rng or _RNG)

    def _retry(self, fn: Callable[[], T], first: BaseException, *, sleep: Callable[[float], object],
               stop: threading.Event | None, on_retry: Callable[[int, BaseException, float], None] | None,
               rng: random.Random) -> T:  # fmt: skip
        """Attempts 2.. under tenacity; its attempt 1 replays `first` (no second request)."""
        replay, last = [first], [first]

        def attempt() -> T:
            if replay:
                raise replay.pop()
            if stop is not None and stop.is_set():
                raise last[0]  # stopped during the pause: no further request
            try:
                return fn()
            except BaseException as exc:
                last[:] = [exc]
                raise

        def wait(state: tenacity.RetryCallState) -> float:
            status, retry_after = describe(_exception(state))
            return self.delay(state.attempt_number, status, retry_after, rng) or 0.0

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if on_retry is not None and state.next_action is not None:
                on_retry(state.attempt_number, _exception(state), state.next_action.sleep)

        def nap(seconds: float) -> None:
            sleep(seconds)

        halt: tenacity.stop.stop_base = tenacity.stop_after_attempt(self.attempts)
        if stop is not None:
            halt = halt | tenacity.stop_when_event_set(stop)
        retrying = tenacity.Retrying(stop=halt, wait=wait, retry=tenacity.retry_if_exception(retryable),
                                     sleep=nap, before_sleep=before_sleep, reraise=True)  # fmt: skip
        return retrying(attempt)


def describe(exc: BaseException) -> tuple[int | None, str | None]:
    """(HTTP status or None for no answer, Retry-After header or None)."""
    if isinstance(exc, StatusError):
        return exc.status, exc.headers.get("Retry-After")
    return None, None


DEFAULT = RetryPolicy()
"""Reads, deletes and cleanup: 6 attempts, 0.2 s .. 10 s backoff (about 15-30 s of outage ridden out)."""
_RNG = random.Random()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up now, not at import: gevent may have patched it since


def _exception(state: tenacity.RetryCallState) -> BaseException:
    exc = state.outcome.exception() if state.outcome is not None else None
    assert exc is not None, "tenacity retries only on an exception here"
    return exc
