"""`RunContext`: what the steps of one run share, every field typed (see lifecycle.py for the steps)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from benchkit.capacity.autoscaler import Autoscaler
from benchkit.capacity.budget import CostMeter
from benchkit.capacity.lease import LeaseKeeper
from benchkit.capacity.target import AwsTarget
from benchkit.kube.connect import Target
from benchkit.observe.local import LocalPrometheus
from benchkit.plan.predict import Plan
from benchkit.results import journal
from benchkit.results.schema import Summary
from benchkit.settings.run import RunSettings
from benchkit.spark.template import Template
from benchkit.tracker.state import Counts
from benchkit.tracker.tracker import Tracker
from benchkit.twin.process import TwinProcess

if TYPE_CHECKING:  # Locust (gevent) is imported on the submit path only, never to type a field
    from benchkit.load.runner import Load, LoadResult
    from benchkit.orchestrate.progress import Progress

Json = dict[str, object]
"""A JSON object (summary.json)."""


@dataclass(frozen=True)
class KubeAccess:
    """How worker processes reach the cluster (a kubeconfig path + context, or a stack's kubeconfig): never
    written to disk, passed to them through a pipe."""

    kubeconfig: str | None = None
    context: str | None = None
    stack: str | None = None
    stack_kubeconfig: dict[str, object] | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kubeconfig": self.kubeconfig, "context": self.context}
        if self.stack is not None:
            out.update(stack=self.stack, stack_kubeconfig=self.stack_kubeconfig)
        return out


@dataclass
class Metrics:
    """Where the run's metrics come from: `--prometheus-url`, or the local Prometheus scraping the twin."""

    url: str
    scrape_interval: float
    source: str
    local: LocalPrometheus | None = None


@dataclass
class Capacity:
    """The capacity steps' state: the stack's AWS side, the plan, the lease, the meter, the autoscaler."""

    aws: AwsTarget | None = None
    plan: Plan | None = None
    lease: LeaseKeeper | None = None
    owns_stack: bool = False
    """This run may scale the stack's node groups (it holds the lease, or the stack has none and the run went
    ahead). A run refused or stopped before the lease step never scales anything."""
    meter: CostMeter | None = None
    spent_usd: float | None = None
    autoscaler: Autoscaler | None = None
    torn_down: bool = False
    """The teardown step scaled the stack's node group (a taken-over hold is then not handed back)."""
    budget_abort: bool = False
    """The meter saw the elapsed cost pass --budget and stopped the run."""


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
    kube: KubeAccess = field(default_factory=KubeAccess)
    secrets: list[str] = field(default_factory=list)
    """Credentials of the target, so the manifest can prove it holds none of them."""
    twin: TwinProcess | None = None
    """The embedded twin, when no cluster was given."""
    driver: str = "benchkit run"
    """What drives the load: `benchkit run`, or `locust -f benchkit/locustfile.py` (recorded in the manifest)."""
    tracker: Tracker | None = None
    counts: Counts | None = None
    """The tracker's live counts (kept after the tracker stops, for the last progress line)."""
    load: Load | None = None
    progress: Progress | None = None
    load_result: LoadResult | None = None
    t0_mono: float | None = None
    tracking_requests: dict[str, int] = field(default_factory=dict)
    tracking_deadline: float | None = None
    """Monotonic instant --timeout ends the tracking (None before tracking)."""
    end_reason: str = "error"
    error: str | None = None
    """The error that ended the run, for run_end (None when none did)."""
    summary: Summary | None = None
    interrupts: int = 0
    tracking_started: bool = False
    tracking_over: bool = False
    stop_tracking: threading.Event = field(default_factory=threading.Event)
    capacity: Capacity = field(default_factory=Capacity)
    metrics: Metrics | None = None

    def interrupt(self) -> None:
        """Ctrl-C: the first stops submitting; a second (or one while only tracking is left) stops tracking."""
        self.interrupts += 1
        if self.interrupts >= 2 or self.tracking_started:
            self.stop_tracking.set()
