"""`RunContext`: what the steps of one run share, and `Step`, the unit other parts plug into the pipeline."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from benchkit.kube.connect import Target
from benchkit.results import journal
from benchkit.results.schema import Summary
from benchkit.settings.run import RunSettings
from benchkit.spark.template import Template


@dataclass
class RunContext:
    """Filled in step by step; a step reads what earlier steps left and adds its own part."""

    settings: RunSettings
    console: Console
    """stderr: status lines and live progress (stdout carries the final table only)."""
    out: Console
    run_id: str = ""
    run_dir: Path | None = None
    journal: journal.Journal | None = None
    """The orchestrator's own writer of events.jsonl (None until the run folder exists)."""
    template: Template | None = None
    steps: tuple[tuple[float, float], ...] = ()
    """The offered-rate profile, (start offset s, jobs/min)."""
    target: Target | None = None
    kube: dict[str, Any] = field(default_factory=dict)
    """How worker processes connect (kubeconfig path + context, or a stack's kubeconfig): never written to disk."""
    secrets: list[str] = field(default_factory=list)
    """Credentials of the target, so the manifest can prove it holds none of them."""
    twin: Any = None
    """The embedded TwinProcess, when no cluster was given."""
    tracker: Any = None
    counts: Any = None
    """The tracker's live counts (kept after the tracker stops, for the last progress line)."""
    load: Any = None
    progress: Any = None
    load_result: Any = None
    t0_mono: float | None = None
    tracking_requests: dict[str, int] = field(default_factory=dict)
    end_reason: str = "error"
    summary: Summary | None = None
    interrupts: int = 0
    tracking_started: bool = False
    stop_tracking: threading.Event = field(default_factory=threading.Event)
    extras: dict[str, Any] = field(default_factory=dict)
    """Room for steps added by other parts (metrics, report, cost) to pass things along."""

    def interrupt(self) -> None:
        """Ctrl-C: the first stops submitting; a second (or one while only tracking is left) stops tracking."""
        self.interrupts += 1
        if self.interrupts >= 2 or self.tracking_started:
            self.stop_tracking.set()


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[RunContext], None]
    always: bool = False
    """Run even after an earlier step failed (results, cleanup, teardown); such steps check what exists."""


def insert_after(pipeline: list[Step], name: str, step: Step) -> list[Step]:
    """A copy of `pipeline` with `step` right after the step called `name`."""
    index = next(i for i, s in enumerate(pipeline) if s.name == name)
    return [*pipeline[: index + 1], step, *pipeline[index + 1 :]]
