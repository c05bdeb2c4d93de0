"""Contact with the API server, as the watch loops experience it: lost at the first failed request after a
success, regained at the next request that gets an answer. Both transitions are journaled (`stage` events
`api_unreachable` / `api_reachable`), so the results say when the run was blind and for how long.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from benchkit import clock
from benchkit.results import journal

LOST = "api_unreachable"
REGAINED = "api_reachable"


@dataclass(frozen=True)
class Outage:
    """Contact lost since `since_mono` (monotonic) / `since_wall` (UTC epoch seconds)."""

    since_mono: float
    since_wall: float
    error: str

    def lasted(self) -> float:
        return clock.mono() - self.since_mono


class Contact:
    """Fed by the watch loops (`answered()` / `failed(error)`), read by the orchestrator (`outage()`).

    Thread-safe; a transition is journaled once, however many loops report it.
    """

    def __init__(self, journal_: journal.Journal) -> None:
        self.journal = journal_
        self._lock = threading.Lock()
        self._outage: Outage | None = None

    def answered(self) -> None:
        """The API server answered a request (a list page, a watch opened, an event received)."""
        if self._outage is None:  # the common case, without the lock
            return
        with self._lock:
            outage, self._outage = self._outage, None
        if outage is not None:
            self.journal.emit(journal.STAGE, name=REGAINED, detail={
                "lost_s": round(outage.lasted(), 3), "since_wall": outage.since_wall})  # fmt: skip

    def failed(self, error: str) -> None:
        """A request got no answer (connection refused or reset, a timeout, TLS failure)."""
        with self._lock:
            if self._outage is not None:
                return
            self._outage = outage = Outage(clock.mono(), clock.wall(), error)
        self.journal.emit(journal.STAGE, name=LOST, detail={"since_wall": outage.since_wall, "error": error})

    def outage(self) -> Outage | None:
        """The current outage, or None while the API server answers."""
        return self._outage
