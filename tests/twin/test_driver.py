"""In-process: the real-time driver stops when asked, even when a write wakes it at that very moment."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from benchkit.twin.driver import Driver
from benchkit.twin.store import Store


class _IdleModel:
    """A model whose next event is always a minute away (so the driver sleeps with a timeout)."""

    def next_event_time(self) -> float:
        return time.time() + 60

    def advance(self, now: float) -> list[Any]:
        return []


def test_stop_is_not_lost_when_a_write_wakes_the_driver_at_the_same_time() -> None:
    """A stop() that hangs makes the twin miss its save on SIGTERM (TwinProcess then kills it: objects lost).
    On Python 3.11, asyncio.wait_for swallowed a cancel that arrived as the wake-up event was set."""

    async def scenario() -> int:
        hung = 0
        for i in range(40):
            driver = Driver(_IdleModel(), Store())  # type: ignore[arg-type]
            driver.start()
            for _ in range(i % 4):
                await asyncio.sleep(0)
            driver.wake()  # a write arrives ...
            for _ in range(i % 3):
                await asyncio.sleep(0)
            stopping = asyncio.ensure_future(driver.stop())  # ... as SIGTERM stops the twin
            done, _ = await asyncio.wait({stopping}, timeout=0.5)
            hung += not done
        return hung

    assert asyncio.run(scenario()) == 0
