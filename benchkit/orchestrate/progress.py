"""Live progress on stderr: a rich status line on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.live import Live
from rich.text import Text

PLAIN_EVERY_S = 5.0
LIVE_REFRESH_PER_S = 4
RATE_WINDOW_S = 15.0


@dataclass
class Snapshot:
    phase: str
    """"submitting" | "tracking" | "cleanup"."""
    planned: int
    submitted: int
    create_failed: int
    operator_submitted: int
    running: int
    completed: int
    failed: int
    target_per_min: float | None
    deadline_in_s: float | None = None
    """Seconds left before --timeout ends the tracking."""
    unreachable_s: float | None = None
    """Seconds since the API server last answered the tracker's watches (None while it answers)."""


class Progress:
    """Polls `snapshot()` and shows it; `stop()` prints the last line."""

    def __init__(self, console: Console, snapshot: Callable[[], Snapshot]) -> None:
        self.console, self.snapshot = console, snapshot
        self._samples: deque[tuple[float, int]] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: Live | None = None

    def start(self) -> None:
        if self.console.is_terminal:
            self._live = Live(self._render(), console=self.console, refresh_per_second=LIVE_REFRESH_PER_S,
                              transient=False, get_renderable=self._render)  # fmt: skip
            self._live.start()
        else:
            self._thread = threading.Thread(target=self._plain, name="progress", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self.console.print(self.line(self.snapshot()), highlight=False, soft_wrap=True)
            self._thread = None

    def line(self, s: Snapshot) -> str:
        now = time.monotonic()
        self._samples.append((now, s.submitted))
        while self._samples and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        t_first, n_first = self._samples[0]
        rate = 60.0 * (s.submitted - n_first) / (now - t_first) if now - t_first > 1 else None
        parts = [
            f"{s.phase:<10}",
            f"submitted {s.submitted}/{s.planned}" + (f" ({s.create_failed} failed)" if s.create_failed else ""),
            f"operator {s.operator_submitted}",
            f"running {s.running}",
            f"done {s.completed}",
            f"failed {s.failed}",
        ]
        if s.phase == "submitting":
            parts.append(f"rate {rate:.0f}/min" if rate is not None else "rate -")
            if s.target_per_min:
                eta = max(0.0, (s.planned - s.submitted) * 60.0 / s.target_per_min)
                parts.append(f"ETA {eta:.0f}s")
        elif s.deadline_in_s is not None:
            waiting = s.submitted - s.create_failed - s.completed - s.failed
            parts.append(f"waiting for {max(0, waiting)} (timeout in {max(0.0, s.deadline_in_s):.0f}s)")
        if s.unreachable_s is not None:
            parts.append(f"API server unreachable for {s.unreachable_s:.0f} s; watches reconnecting")
        return " | ".join(parts)

    def _render(self) -> Text:
        return Text(self.line(self.snapshot()))

    def _plain(self) -> None:
        while not self._stop.wait(PLAIN_EVERY_S):
            self.console.print(self.line(self.snapshot()), highlight=False, soft_wrap=True)
