"""Periodic: the background loop shared by the autoscaler, the cost meter and the lease keeper."""

from __future__ import annotations

import threading

from benchkit.capacity.periodic import Periodic


def test_ticks_until_stopped_and_outlives_a_failing_tick() -> None:
    calls: list[int] = []
    seen: list[Exception] = []
    three = threading.Event()

    def tick() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise ConnectionError("API   server\nunreachable")
        if len(calls) >= 3:
            three.set()

    loop = Periodic("t", 0.01, tick, first_now=True, on_error=seen.append)
    loop.start()
    assert three.wait(5)
    loop.stop()
    after = len(calls)
    assert loop.errors == ["ConnectionError: API server unreachable"]
    assert [type(e) for e in seen] == [ConnectionError]
    threading.Event().wait(0.05)
    assert len(calls) == after  # stopped means stopped


def test_first_tick_waits_one_period_unless_first_now() -> None:
    calls: list[int] = []
    loop = Periodic("t", 10.0, lambda: calls.append(1))
    loop.start()
    loop.stop()
    assert calls == []
