"""`benchkit run` as a pipeline of small explicit steps (see PIPELINE); other parts add steps, not branches.

validate -> target -> preflight -> manifest -> submit (Locust + tracker) -> track -> cleanup -> results
-> stop target. A step that fails skips the rest except the `always` steps (cleanup, results, stopping
the embedded twin), so a failed or interrupted run still leaves its results and no objects behind.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from rich.console import Console

from benchkit import clock
from benchkit.errors import ApiError, ConfigError, Interrupted, TeardownError, TrackerError
from benchkit.kube import cleanup as kube_cleanup
from benchkit.kube import cluster
from benchkit.load.schedule import RateProfile, mono_origin  # pure: no Locust, no gevent
from benchkit.load.spec import LoadSpec
from benchkit.orchestrate import capacity_steps, doctor_step, observe_steps, table
from benchkit.orchestrate.context import RunContext, Step
from benchkit.orchestrate.progress import Progress, Snapshot
from benchkit.orchestrate.target import secrets_of, start_target, stop_target, twin_settings
from benchkit.results import apps, journal, manifest, runid, summary
from benchkit.settings.run import RunSettings, check_twin_only, parse_ramp
from benchkit.spark import template
from benchkit.tracker.tracker import Tracker

START_LEAD_S = {False: 0.3, True: 1.0}
"""Seconds between deciding t0 and slot 0 (local runner / with worker processes): time for spawn messages."""
SYNC_TIMEOUT_S = 60.0


def validate(ctx: RunContext) -> None:
    """Everything that can be checked before touching a cluster: the template, the rate profile."""
    s = ctx.settings
    check_twin_only(s)
    ctx.template = template.load(s.spark_template)
    if s.ramp is not None:
        start, step, every, top = parse_ramp(s.ramp)
        profile = RateProfile.ramp(start, step, every, top, s.total)
    else:
        profile = RateProfile.constant(s.jobs_per_min)
    ctx.steps = tuple((st.start_s, st.per_min) for st in profile.steps)
    ctx.run_id = runid.new_run_id(s.name)


def preflight(ctx: RunContext) -> None:
    """The CRD is served and every namespace exists (ConfigError, exit 2, before anything is created)."""
    assert ctx.target is not None
    cluster.check_crd(ctx.target.api, ctx.target.server)
    cluster.check_namespaces(ctx.target.api, ctx.settings.spark_namespaces, ctx.target.server)
    if ctx.twin is None:
        ctx.console.print(f"benchkit: target {ctx.target.server} ({ctx.target.source})", highlight=False)


def write_manifest(ctx: RunContext) -> None:
    assert ctx.target is not None
    s = ctx.settings
    ctx.run_dir = s.results_dir / ctx.run_id
    try:
        ctx.run_dir.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        raise ConfigError(f"results-dir: cannot create {ctx.run_dir}: {exc.strerror or exc}") from None
    ctx.journal = journal.Journal(ctx.run_dir, src="orchestrator")
    api = ctx.target.api
    target = {"server": ctx.target.server, "context": ctx.target.context, "source": ctx.target.source,
              "version": cluster.server_version(api), "nodes_by_group": cluster.node_counts(api),
              "spark_operator": cluster.operator_deployments(api)}  # fmt: skip
    ttl = template.time_to_live(ctx.template, s.scenario) if ctx.template else None  # keep drops it
    body = manifest.build(run_id=ctx.run_id, settings=s.to_dict(), target=target, twin=twin_settings(ctx),
                          extra={"template": ctx.template.source if ctx.template else None,
                                 "time_to_live_seconds": ttl,
                                 "rate_steps": [list(st) for st in ctx.steps]})  # fmt: skip
    manifest.write(ctx.run_dir, body, secrets=[*ctx.secrets, *secrets_of(ctx.target)])
    ctx.console.print(f"benchkit: run {ctx.run_id}: results in {ctx.run_dir}", highlight=False, soft_wrap=True)


def submit(ctx: RunContext) -> None:
    """Start the tracker, then Locust; return when every job was submitted (or Ctrl-C stopped submission)."""
    from benchkit.load.runner import Load  # noqa: PLC0415 - Locust (gevent) is imported on this path only

    assert ctx.target is not None and ctx.run_dir is not None and ctx.journal is not None and ctx.template
    s = ctx.settings
    if ctx.interrupts:
        return
    ctx.tracker = Tracker(ctx.target.api, run_id=ctx.run_id, namespaces=s.spark_namespaces, scenario=s.scenario,
                          journal_=journal.Journal(ctx.run_dir, src="tracker"))  # fmt: skip
    ctx.tracker.start()
    ctx.counts = ctx.tracker.counts()
    deadline = clock.mono() + SYNC_TIMEOUT_S
    while not ctx.tracker.synced():
        if clock.mono() > deadline:
            raise TrackerError(f"the tracker could not list the run's objects within {SYNC_TIMEOUT_S:.0f} s")
        time.sleep(0.05)
    spec = LoadSpec(run_id=ctx.run_id, scenario=s.scenario, namespaces=s.spark_namespaces, total=s.total,
                    steps=ctx.steps, app_seconds=s.app_seconds, max_inflight=s.max_inflight, processes=s.processes,
                    users=s.users, template=ctx.template.body, template_source=ctx.template.source)  # fmt: skip
    ctx.load = Load(spec, ctx.target.api, ctx.run_dir, kube=ctx.kube, on_first_cap=lambda cap: _say_capped(ctx, cap))
    ctx.load.prepare()
    t0_wall = clock.wall() + START_LEAD_S[s.processes > 1]
    ctx.t0_mono = mono_origin(t0_wall, clock.wall(), clock.mono())
    ctx.journal.emit(journal.RUN_START, run_id=ctx.run_id, scenario=s.scenario, planned=s.total,
                     target_per_min=None if s.ramp else s.jobs_per_min, namespaces=list(s.spark_namespaces),
                     t0_mono=ctx.t0_mono, t0_wall=t0_wall, steps=[list(st) for st in ctx.steps], ramp=s.ramp,
                     users=s.users, processes=s.processes, max_inflight=s.max_inflight)  # fmt: skip
    ctx.journal.emit(journal.STAGE, name="submitting", detail={})
    ctx.progress = Progress(ctx.console, lambda: _snapshot(ctx))
    ctx.progress.start()
    try:
        ctx.load.start(t0_wall)
        ctx.load.wait(lambda: ctx.interrupts >= 1)
    finally:
        ctx.load.close()
    ctx.load_result = ctx.load.result()
    ctx.journal.emit(journal.STAGE, name="submitted_all", detail={
        "locust_requests": ctx.load_result.requests, "locust_failures": ctx.load_result.failures,
        "by_process": {str(k): v for k, v in ctx.load_result.by_process.items()}, "interrupted": ctx.interrupts > 0,
    })  # fmt: skip


def track(ctx: RunContext) -> None:
    """Wait (up to --timeout after the last submission) until every created app is done."""
    if ctx.run_dir is None or ctx.journal is None or ctx.tracker is None:
        return
    ctx.tracking_started = True
    if ctx.interrupts >= 2:
        ctx.stop_tracking.set()
    expected = created_apps(ctx.run_dir)
    deadline = clock.mono() + ctx.settings.timeout
    ctx.extras["tracking_deadline"] = deadline
    all_done = ctx.tracker.wait(expected, deadline, abort=ctx.stop_tracking)
    ctx.end_reason = "done" if all_done else "interrupted" if ctx.stop_tracking.is_set() else "timeout"
    _stop_tracker(ctx, all_done)


def cleanup(ctx: RunContext) -> None:
    """Delete what is left of this run, by label, and verify nothing remains (unless --no-cleanup)."""
    if ctx.journal is None or ctx.target is None:
        return
    _stop_tracker(ctx, None)
    if not ctx.settings.cleanup:
        ctx.journal.emit(journal.STAGE, name="cleanup", detail={"skipped": "--no-cleanup"})
        return
    ctx.journal.emit(journal.STAGE, name="cleanup", detail={})
    try:
        deleted, remaining = kube_cleanup.delete_run(ctx.target.api, ctx.run_id, ctx.settings.spark_namespaces)
    except ApiError as exc:
        raise ApiError(f"{exc}; objects labelled {ctx.run_id} may remain (`benchkit teardown --run {ctx.run_id}` "
                       "deletes them)") from None  # fmt: skip
    ctx.journal.emit(journal.CLEANUP, scenario=ctx.settings.scenario, deleted=deleted, remaining=remaining)
    if remaining:
        raise TeardownError(f"cleanup left {remaining} objects labelled {ctx.run_id} (delete them by that label)")


def results(ctx: RunContext) -> None:
    """run_end, summary.json, apps.csv, and the table on stdout."""
    if ctx.journal is None or ctx.run_dir is None:
        return
    if ctx.progress is not None:
        ctx.progress.stop()
        ctx.progress = None
    if ctx.interrupts and ctx.end_reason in ("done", "error"):
        ctx.end_reason = "interrupted"
    ctx.journal.emit(journal.RUN_END, reason=ctx.end_reason, detail={"interrupts": ctx.interrupts})
    ctx.summary = summary.write(ctx.run_dir)
    apps.write(ctx.run_dir)
    table.render(ctx.summary, ctx.run_dir, ctx.out)


PIPELINE: list[Step] = [
    Step("validate", validate),
    Step("target", start_target),
    Step("doctor", doctor_step.fast_doctor),
    Step("preflight", preflight),
    Step("manifest", write_manifest),
    Step("submit", submit),
    Step("track", track),
    Step("cleanup", cleanup, always=True),
    Step("results", results, always=True),
    Step("stop_target", stop_target, always=True),
]
PIPELINE = capacity_steps.add_to(PIPELINE)
PIPELINE = observe_steps.add_to(PIPELINE)


def run(settings: RunSettings, pipeline: Sequence[Step] | None = None, *, console: Console | None = None,
        out: Console | None = None) -> RunContext:  # fmt: skip
    """Run every step; raise the first error (after the `always` steps), or Interrupted after Ctrl-C."""
    ctx = RunContext(settings=settings, console=console or Console(stderr=True), out=out or Console())
    error: BaseException | None = None
    with _ctrl_c(ctx):
        for step in pipeline or PIPELINE:
            if error is not None and not step.always:
                continue
            try:
                step.run(ctx)
            except (Exception, KeyboardInterrupt) as exc:
                ctx.end_reason = "error"  # for run_end, unless it was already written (a step after results)
                if error is None:
                    error = exc
                else:
                    ctx.console.print(f"benchkit: {step.name}: {' '.join(str(exc).split())}", highlight=False)
    if error is not None:
        raise error
    if ctx.interrupts:
        raise Interrupted(f"interrupted; results in {ctx.run_dir}" if ctx.run_dir else "interrupted")
    return ctx


def created_apps(run_dir: Any) -> set[str]:
    """ "namespace/name" of every job the journal says was created."""
    out = set()
    with (run_dir / journal.EVENTS_FILE).open("rb") as fh:
        for line in fh:
            if b'"ev":"submit"' in line and line.endswith(b"\n"):
                ev = orjson.loads(line)
                if ev.get("ok"):
                    out.add(f"{ev['ns']}/{ev['app']}")
    return out


def _stop_tracker(ctx: RunContext, all_done: bool | None) -> None:
    if ctx.tracker is None or ctx.journal is None:
        return
    ctx.tracking_requests = ctx.tracker.stop()
    ctx.tracker = None
    ctx.journal.emit(journal.STAGE, name="tracking_done", detail={**ctx.tracking_requests, "all_done": all_done})


def _say_capped(ctx: RunContext, cap: int) -> None:
    """Once per run: the cap shapes the offered rate, so the user must not find it only in summary.json."""
    ctx.console.print(f"benchkit: in-flight cap hit ({cap} creates in flight in one process, --max-inflight "
                      f"{ctx.settings.max_inflight}): due creates wait for a free slot and count as late",
                      highlight=False, soft_wrap=True)  # fmt: skip


def _snapshot(ctx: RunContext) -> Snapshot:
    stats = ctx.load.env.stats.total if ctx.load is not None else None
    counts = ctx.counts
    deadline = ctx.extras.get("tracking_deadline")
    return Snapshot(
        phase="tracking" if ctx.tracking_started else "submitting",
        planned=ctx.settings.total,
        submitted=stats.num_requests if stats else 0,
        create_failed=stats.num_failures if stats else 0,
        operator_submitted=counts.submitted if counts else 0,
        running=counts.running if counts else 0,
        completed=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        target_per_min=None if ctx.settings.ramp else ctx.settings.jobs_per_min,
        deadline_in_s=None if deadline is None else deadline - clock.mono(),
    )


@contextmanager
def _ctrl_c(ctx: RunContext) -> Iterator[None]:
    """While the pipeline runs, Ctrl-C is a request (see RunContext.interrupt), not an exception."""
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: ctx.interrupt())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
