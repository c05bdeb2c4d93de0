"""Throttled progress lines for long waits (node groups scaling): one line per change or every 15 s."""

from __future__ import annotations

import time
from collections.abc import Callable

import click

from benchkit.capacity.readiness import GroupState

EVERY_S = 15.0


def group_progress(target: int, every: float = EVERY_S) -> Callable[[GroupState, float], None]:
    """A callback for `readiness.wait_for` printing `[  42s] bench: 120 node(s), 118/200 Ready, ...`."""
    last: dict[str, object] = {"line": None, "at": -1e9}

    def show(state: GroupState, elapsed: float) -> None:
        line = state.describe(target)
        if line != last["line"] or time.monotonic() - float(str(last["at"])) >= every:
            click.echo(f"[{elapsed:5.0f}s] {line}", err=True)
            last["line"], last["at"] = line, time.monotonic()

    return show
