"""Plain Locust (`locust -f benchkit/locustfile.py`) through the same run lifecycle as `benchkit run`.

Locust's own runner submits: load/session.py adapts it (`LocustSide`) and knows nothing of the lifecycle;
this module runs the lifecycle with a submit step that hands t0 and the spec to Locust and waits for it.
Threads and sleeps here are greenlets in Locust's gevent-patched process.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Protocol

from rich.console import Console

from benchkit import clock
from benchkit.errors import BenchkitError, Interrupted
from benchkit.kube.rest import ApiClient
from benchkit.load.spec import LoadSpec
from benchkit.orchestrate import run as orchestrate
from benchkit.orchestrate.context import RunContext
from benchkit.results import journal
from benchkit.settings.run import RunSettings

DRIVER = "locust -f benchkit/locustfile.py"
START_LEAD_S = 1.0
"""Seconds between deciding t0 and slot 0: time for Locust's spawn messages."""
POLL_S = 0.2


class LocustSide(Protocol):
    """What the lifecycle needs of a running Locust (load/session.py implements it)."""

    def forward(self, spec: LoadSpec, api: ApiClient, run_dir: Path, t0_wall: float) -> None:
        """Hand t0 and the spec to the workers (or to this process's own submitter)."""

    def all_submitted(self, timeout: float) -> bool:
        """Every process has launched and finished all its creates (waits up to `timeout`)."""

    def stop_submitting(self, reason: str) -> None: ...

    def totals(self) -> tuple[int, int, dict[int, dict[str, int]]]:
        """Locust's request and failure counts, and each process's own (ok, failed)."""

    def finished(self, error: BenchkitError | None, interrupted: bool) -> None:
        """The lifecycle is over: report `error`, stop Locust (unless it is quitting already)."""


class PlainRun:
    """One run on Locust's master (or only) process. The constructor returns once Locust may spawn its users."""

    def __init__(self, settings: RunSettings, side: LocustSide) -> None:
        self.side = side
        self.ctx = RunContext(settings=settings, console=Console(stderr=True), out=Console(), driver=DRIVER)
        self.cap_reported = False
        self.ready = threading.Event()
        """Set once t0 and the spec are forwarded, or once the lifecycle failed before that."""
        self.thread = threading.Thread(target=self.run, name="benchkit-lifecycle", daemon=True)
        self.thread.start()
        self.ready.wait()

    def run(self) -> None:
        error: BenchkitError | None = None
        try:
            orchestrate.run(self.ctx.settings, orchestrate.lifecycle(self.submit, interactive=False), ctx=self.ctx)
        except Interrupted:
            pass
        except BenchkitError as exc:
            error = exc
        finally:
            self.ready.set()
        self.side.finished(error, interrupted=self.ctx.interrupts > 0)

    def submit(self, ctx: RunContext) -> None:
        """The lifecycle's submit step: forward t0 and the spec, let Locust spawn, wait until all are submitted."""
        assert ctx.target is not None and ctx.run_dir is not None and ctx.journal is not None
        t0_wall = clock.wall() + START_LEAD_S
        self.side.forward(orchestrate.load_spec(ctx), ctx.target.api, ctx.run_dir, t0_wall)
        orchestrate.run_start(ctx, t0_wall)
        self.ready.set()  # test_start returns: Locust spawns the users (and sends the spec to the workers)
        stopped = False
        while not self.side.all_submitted(POLL_S):
            if not stopped and (ctx.interrupts or orchestrate.api_lost(ctx) is not None):
                stopped = True
                self.side.stop_submitting("stop requested (Ctrl-C, Locust's stop, or a lost API server)")
            time.sleep(POLL_S)
        requests, failures, by_process = self.side.totals()
        ctx.journal.emit(journal.STAGE, name="submitted_all", detail={
            "locust_requests": requests, "locust_failures": failures,
            "by_process": {str(k): v for k, v in by_process.items()}, "interrupted": ctx.interrupts > 0,
        })  # fmt: skip

    def say_capped(self, cap: int) -> None:
        """Once per run, on stderr: the first time any process hit the in-flight cap."""
        if not self.cap_reported:
            self.cap_reported = True
            orchestrate.say_capped(self.ctx, cap)

    def quit(self) -> None:
        """Locust is quitting (Ctrl-C): stop submitting and tracking; wait while the lifecycle unwinds."""
        if self.thread.is_alive():
            self.ctx.interrupt()
            self.ctx.interrupt()
            self.thread.join()
