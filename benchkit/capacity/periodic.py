"""A callable run every N seconds on a daemon thread (the autoscaler, the cost meter, the lease keeper)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Periodic:
    """Call `tick()` every `every` seconds until `stop()`; a failing tick is recorded and the next one retries.

    >>> loop = Periodic("benchkit-lease", 60.0, keeper.renew_once)
    >>> loop.start(); ...; loop.stop()
    """

    def __init__(self, name: str, every: float, tick: Callable[[], object], *, first_now: bool = False,
                 on_error: Callable[[Exception], None] | None = None) -> None:  # fmt: skip
        self.name, self.every, self.first_now = name, every, first_now
        self.errors: list[str] = []
        """One line per failed tick."""
        self._tick, self._on_error = tick, on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        if self.first_now:
            self._run_tick()
        while not self._stop.wait(self.every):
            self._run_tick()

    def _run_tick(self) -> None:
        try:
            self._tick()
        except Exception as exc:  # a background loop must outlive one bad tick
            self.errors.append(f"{type(exc).__name__}: {' '.join(str(exc).split())}")
            if self._on_error is not None:
                self._on_error(exc)
