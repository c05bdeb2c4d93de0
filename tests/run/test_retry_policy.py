"""Which create failures are retried, and after how long (pure: no network, no gevent)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from benchkit.load import create


def test_429_honours_retry_after_seconds_and_dates_capped() -> None:
    rng = random.Random(1)
    assert create.retry_delay(1, 429, "3", rng) == 3.0
    assert create.retry_delay(1, 429, "3600", rng) == create.RETRY_AFTER_CAP_S
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8.0 <= (create.retry_delay(1, 429, later, rng) or 0) <= 10.0
    # no usable Retry-After: the exponential backoff
    assert 0.125 <= (create.retry_delay(1, 429, "soon", rng) or 0) <= 0.25


def test_5xx_and_transport_errors_back_off_exponentially_with_jitter_and_a_ceiling() -> None:
    rng = random.Random(2)
    for status in (500, 503, None):
        delays = [create.retry_delay(a, status, None, rng) for a in range(1, create.MAX_ATTEMPTS)]
        ceilings = [min(create.BACKOFF[1], create.BACKOFF[0] * 2 ** (a - 1)) for a in range(1, create.MAX_ATTEMPTS)]
        assert all(c / 2 <= (d or 0) <= c for d, c in zip(delays, ceilings, strict=True))
        assert create.retry_delay(create.MAX_ATTEMPTS, status, None, rng) is None  # bounded


def test_other_client_errors_are_final_at_once() -> None:
    rng = random.Random(3)
    for status in (400, 403, 404, 409, 422):
        assert create.retry_delay(1, status, None, rng) is None
