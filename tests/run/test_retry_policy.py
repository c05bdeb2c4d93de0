"""Which failures are retried, and after how long: create's budget, the one policy as a table, then its loop
over real HTTP (a scripted local server) and under gevent."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from benchkit.errors import ConfigError, StatusError, TransportError
from benchkit.kube import cluster, rest, retry
from benchkit.load import create
from benchkit.tracker import watch

from . import scripted_http


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


# -- the one policy (benchkit.kube.retry): a table of decisions, then the loop over real HTTP ----------------

NOW = 1_700_000_000.0
POLICY = retry.RetryPolicy(attempts=4, first_s=0.5, max_s=2.0, retry_after_cap_s=5.0)


def _http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3", 3.0), ("0", 0.0), ("1.5", 1.5), ("-2", 0.0), (_http_date(NOW + 10), 10.0), (_http_date(NOW - 60), 0.0),
     ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), ("", None), (None, None)],
)  # fmt: skip
def test_retry_after_in_seconds_or_as_an_http_date(value: str | None, seconds: float | None) -> None:
    assert retry.parse_retry_after(value, now=lambda: NOW) == seconds


@pytest.mark.parametrize(
    ("attempt", "status", "retry_after", "low", "high"),
    [
        (1, 429, "3", 3.0, 3.0),  # the server's delta-seconds
        (1, 429, "3600", 5.0, 5.0),  # capped
        (1, 503, "2", 2.0, 2.0),  # Retry-After on a 503 counts too
        (1, 429, "soon", 0.25, 0.5),  # unreadable: the backoff
        (1, 429, None, 0.25, 0.5),
        (1, 500, None, 0.25, 0.5),  # 5xx: ceiling first_s, jitter down to half
        (2, 502, None, 0.5, 1.0),
        (3, 504, None, 1.0, 2.0),
        (3, None, None, 1.0, 2.0),  # no answer (timeout, reset, refused)
    ],
)
def test_policy_retries_throttling_server_errors_and_no_answer(
    attempt: int, status: int | None, retry_after: str | None, low: float, high: float
) -> None:
    for seed in range(20):
        assert low <= (POLICY.delay(attempt, status, retry_after, random.Random(seed)) or -1) <= high


def test_policy_ceiling_stops_doubling_at_max() -> None:
    wide = retry.RetryPolicy(attempts=20, first_s=0.5, max_s=2.0)
    assert all(1.0 <= (wide.delay(a, 500, None, random.Random(a)) or 0) <= 2.0 for a in range(3, 20))


def test_policy_honours_an_http_date_retry_after() -> None:
    later = _http_date(retry.clock.wall() + 4)
    assert 2.0 <= (POLICY.delay(1, 429, later, random.Random(0)) or 0) <= 4.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 422])
def test_policy_other_client_errors_are_final(status: int) -> None:
    assert POLICY.delay(1, status, "1", random.Random(0)) is None


@pytest.mark.parametrize("status", [429, 500, 503, None])
def test_policy_attempt_budget_is_final(status: int | None) -> None:
    assert POLICY.delay(POLICY.attempts, status, None, random.Random(0)) is None
    assert POLICY.delay(POLICY.attempts - 1, status, None, random.Random(0)) is not None


def test_create_uses_the_one_policy() -> None:
    assert isinstance(create.POLICY, retry.RetryPolicy)
    policy = create.POLICY
    assert policy.attempts == create.MAX_ATTEMPTS and (policy.first_s, policy.max_s) == create.BACKOFF


def test_call_over_http_rides_out_429_by_seconds_and_date_503_and_a_reset() -> None:
    date = _http_date(retry.clock.wall() + 3)
    script: list[scripted_http.Answer] = [
        scripted_http.status(429, "TooManyRequests", {"Retry-After": "1"}),
        scripted_http.status(429, "TooManyRequests", {"Retry-After": date}),
        scripted_http.status(503, "ServiceUnavailable"),
        scripted_http.RESET,
        (200, {}, {"kind": "Thing", "ok": True}),
    ]
    sleeps: list[float] = []
    retried: list[tuple[int, int | None]] = []
    with scripted_http.serve(lambda *_: script.pop(0)) as (api, seen):
        body = retry.DEFAULT.call(
            lambda: rest.call(api, "GET", "/api/v1/things", timeout=(2, 5)),
            sleep=sleeps.append,
            on_retry=lambda n, e, _: retried.append((n, retry.describe(e)[0])),
        )
    assert body == {"kind": "Thing", "ok": True} and len(seen) == 5 and not script
    assert retried == [(1, 429), (2, 429), (3, 503), (4, None)]
    assert sleeps[0] == 1.0
    assert 1.0 <= sleeps[1] <= 3.0  # the date, less the second that passed
    assert 0.4 <= sleeps[2] <= 0.8 and 0.8 <= sleeps[3] <= 1.6  # backoff ceilings 0.8 s, 1.6 s, jitter to half


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_call_over_http_does_not_retry_other_client_errors(status: int) -> None:
    sleeps: list[float] = []
    with (
        scripted_http.serve(lambda *_: scripted_http.status(status, "No")) as (api, seen),
        pytest.raises(StatusError) as caught,
    ):
        retry.DEFAULT.call(lambda: rest.call(api, "DELETE", "/api/v1/things/x"), sleep=sleeps.append)
    assert caught.value.status == status and str(caught.value) == f"HTTP {status} {caught.value.reason}"
    assert len(seen) == 1 and sleeps == []


def test_call_over_http_gives_up_after_the_budget_with_the_last_error() -> None:
    sleeps: list[float] = []
    with (
        scripted_http.serve(lambda *_: scripted_http.status(500, "InternalError")) as (api, seen),
        pytest.raises(StatusError) as caught,
    ):
        retry.DEFAULT.call(lambda: rest.call(api, "GET", "/api/v1/things"), sleep=sleeps.append)
    assert caught.value.status == 500 and len(seen) == retry.DEFAULT.attempts
    assert len(sleeps) == retry.DEFAULT.attempts - 1
    ceilings = [min(retry.DEFAULT.max_s, retry.DEFAULT.first_s * 2 ** (a - 1)) for a in range(1, len(sleeps) + 1)]
    assert all(c / 2 <= s <= c for s, c in zip(sleeps, ceilings, strict=True))


def test_connection_refused_is_a_transport_error_retried_to_the_budget() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with scripted_http.serve(lambda *_: (200, {}, {})) as (api, _):
        api.configuration.host = f"http://127.0.0.1:{port}"
        sleeps: list[float] = []
        with pytest.raises(TransportError):
            retry.DEFAULT.call(lambda: rest.call(api, "GET", "/version", timeout=(1, 1)), sleep=sleeps.append)
    assert len(sleeps) == retry.DEFAULT.attempts - 1


def test_a_stop_event_ends_the_retries_with_the_last_error() -> None:
    stop = threading.Event()
    with (
        scripted_http.serve(lambda *_: scripted_http.status(503, "Unavailable")) as (api, seen),
        pytest.raises(StatusError),
    ):
        retry.DEFAULT.call(lambda: rest.call(api, "GET", "/x"), sleep=lambda _: stop.set(), stop=stop)
    assert len(seen) == 1


def test_the_default_pause_is_time_sleep_as_patched_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """gevent patches `time.sleep` after benchkit may have been imported: the policy must still use the patch."""
    paused: list[float] = []
    monkeypatch.setattr(time, "sleep", paused.append)
    answers = iter([TransportError("reset"), TransportError("reset")])

    def flaky() -> str:
        exc = next(answers, None)
        if exc is not None:
            raise exc
        return "ok"

    assert POLICY.call(flaky) == "ok" and len(paused) == 2


def test_retries_under_gevent_do_not_block_the_hub() -> None:
    """Twenty greenlets each pausing ~0.3 s before their retry finish together, not one after another."""
    code = """
from gevent import monkey; monkey.patch_all()
import time, gevent
from benchkit.errors import TransportError
from benchkit.kube.retry import RetryPolicy
policy = RetryPolicy(attempts=2, first_s=0.4, max_s=0.4)
def job():
    tries = []
    def once():
        tries.append(1)
        if len(tries) == 1:
            raise TransportError("reset")
        return len(tries)
    return policy.call(once)
start = time.monotonic()
results = [g.value for g in gevent.joinall([gevent.spawn(job) for _ in range(20)])]
print(results.count(2), round(time.monotonic() - start, 3))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    done, elapsed = proc.stdout.split()
    assert int(done) == 20
    assert float(elapsed) < 1.5, f"20 pauses of 0.2-0.4 s took {elapsed} s: the hub was blocked"


def test_watch_reconnection_pause_honours_retry_after() -> None:
    assert watch._backoff(1, StatusError(429, "TooManyRequests", {"Retry-After": "2"})) == 2.0
    assert 0.1 <= watch._backoff(1, TransportError("cut")) <= 0.2
    assert 2.5 <= watch._backoff(10, None) <= 5.0


def test_preflight_and_manifest_reads_ride_out_a_transient_failure() -> None:
    """The run's preflight (CRD served, namespaces exist) and the manifest's cluster facts use the one policy: a 503
    or a 429 once is not a failed run, nor a fact missing from the manifest; a 404 is still final at once."""
    answers: dict[str, list[scripted_http.Answer]] = {
        cluster.SPARK_API: [scripted_http.status(503, "ServiceUnavailable"), (200, {}, {"kind": "APIResourceList"})],
        "/api/v1/namespaces/a": [scripted_http.status(429, "TooManyRequests", {"Retry-After": "0"}),
                                 (200, {}, {"kind": "Namespace"})],
        "/api/v1/namespaces/gone": [scripted_http.status(404, "NotFound")],
        "/version": [scripted_http.status(500, "InternalError"), (200, {}, {"gitVersion": "v1.32.1"})],
    }  # fmt: skip
    with scripted_http.serve(lambda _m, path, _b: answers[path.split("?")[0]].pop(0)) as (api, seen):
        cluster.check_crd(api, "https://example")
        cluster.check_namespaces(api, ("a",), "https://example")
        assert cluster.server_version(api) == {"gitVersion": "v1.32.1"}
        with pytest.raises(ConfigError, match="namespace 'gone' does not exist"):
            cluster.check_namespaces(api, ("gone",), "https://example")
    assert [s.path.split("?")[0] for s in seen] == [cluster.SPARK_API] * 2 + ["/api/v1/namespaces/a"] * 2 + [
        "/version"] * 2 + ["/api/v1/namespaces/gone"]  # fmt: skip
