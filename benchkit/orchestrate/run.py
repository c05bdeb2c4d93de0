"""One run lifecycle, for `benchkit run` and for plain `locust -f benchkit/locustfile.py` (see LIFECYCLE).

The steps are declared in one list, in the order they start; what they started is stopped in reverse
order on one ExitStack (see lifecycle.py). A step that fails skips the rest and unwinds the stack, so a
failed or interrupted run still stops what it started, cleans up and leaves its results.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import orjson
from rich.console import Console

from benchkit import clock
from benchkit.errors import ApiError, BenchkitError, ConfigError, Interrupted, TeardownError, TrackerError
from benchkit.kube import cleanup as kube_cleanup
from benchkit.kube import cluster
from benchkit.load.schedule import RateProfile, mono_origin  # pure: no Locust, no gevent
from benchkit.load.spec import LoadSpec
from benchkit.orchestrate import capacity_steps, doctor_step, observe_steps, table
from benchkit.orchestrate.context import RunContext
from benchkit.orchestrate.lifecycle import Action, Step, at_end, do, hold, run_steps, unwind_order
from benchkit.orchestrate.progress import Progress, Snapshot
from benchkit.orchestrate.target import connected, secrets_of, twin_settings
from benchkit.results import apps, journal, manifest, runid, summary
from benchkit.settings.run import RunSettings, check_twin_only, parse_ramp
from benchkit.spark import template
from benchkit.tracker.contact import Outage
from benchkit.tracker.tracker import Tracker

START_LEAD_S = {False: 0.3, True: 1.0}
"""Seconds between deciding t0 and slot 0 (local runner / with worker processes): time for spawn messages."""
SYNC_TIMEOUT_S = 60.0
TRACK_SLICE_S = 1.0
"""How often tracking looks up from its wait (the API server's contact, the deadline)."""


class ApiUnreachable(BenchkitError):
    """The API server gave no answer for longer than --api-grace: the run ends (exit 1)."""


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
                          extra={"driver": ctx.driver, "template": ctx.template.source if ctx.template else None,
                                 "time_to_live_seconds": ttl,
                                 "rate_steps": [list(st) for st in ctx.steps]})  # fmt: skip
    manifest.write(ctx.run_dir, body, secrets=[*ctx.secrets, *secrets_of(ctx.target)])
    ctx.console.print(f"benchkit: run {ctx.run_id}: results in {ctx.run_dir}", highlight=False, soft_wrap=True)


@contextmanager
def tracking(ctx: RunContext) -> Iterator[None]:
    """The tracker, from before the first submission (listed once, so it misses nothing) to the end of tracking."""
    assert ctx.target is not None and ctx.run_dir is not None and ctx.journal is not None
    s = ctx.settings
    writer = journal.Journal(ctx.run_dir, src="tracker")
    tracker = ctx.tracker = Tracker(ctx.target.api, run_id=ctx.run_id, namespaces=s.spark_namespaces,
                                    scenario=s.scenario, journal_=writer)  # fmt: skip
    tracker.start()
    ctx.counts = tracker.counts()
    try:
        deadline = clock.mono() + SYNC_TIMEOUT_S
        while not tracker.synced():
            if clock.mono() > deadline:
                raise TrackerError(f"the tracker could not list the run's objects within {SYNC_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
        yield
    finally:
        ctx.tracking_over = True  # the budget meter still counts (teardown) but no longer stops anything
        ctx.tracking_requests = tracker.stop()
        ctx.tracker = None
        ctx.journal.emit(journal.STAGE, name="tracking_done",
                         detail={**ctx.tracking_requests, "all_done": ctx.end_reason == "done"})  # fmt: skip


def load_spec(ctx: RunContext) -> LoadSpec:
    assert ctx.template is not None
    s = ctx.settings
    return LoadSpec(run_id=ctx.run_id, scenario=s.scenario, namespaces=s.spark_namespaces, total=s.total,
                    steps=ctx.steps, app_seconds=s.app_seconds, max_inflight=s.max_inflight, processes=s.processes,
                    users=s.users, template=ctx.template.body, template_source=ctx.template.source)  # fmt: skip


def run_start(ctx: RunContext, t0_wall: float) -> None:
    """Fix t0 (the wall-clock instant of slot 0) and journal run_start."""
    assert ctx.journal is not None
    s = ctx.settings
    ctx.t0_mono = mono_origin(t0_wall, clock.wall(), clock.mono())
    ctx.journal.emit(journal.RUN_START, run_id=ctx.run_id, scenario=s.scenario, planned=s.total,
                     target_per_min=None if s.ramp else s.jobs_per_min, namespaces=list(s.spark_namespaces),
                     t0_mono=ctx.t0_mono, t0_wall=t0_wall, steps=[list(st) for st in ctx.steps], ramp=s.ramp,
                     users=s.users, processes=s.processes, max_inflight=s.max_inflight)  # fmt: skip
    ctx.journal.emit(journal.STAGE, name="submitting", detail={})


def submit(ctx: RunContext) -> None:
    """Start Locust (library mode); return when every job was submitted (or Ctrl-C, budget, or a lost API server
    stopped submission)."""
    from benchkit.load.runner import Load  # noqa: PLC0415 - Locust (gevent) is imported on this path only

    assert ctx.target is not None and ctx.run_dir is not None and ctx.journal is not None
    if ctx.interrupts:
        return
    load = ctx.load = Load(load_spec(ctx), ctx.target.api, ctx.run_dir, kube=ctx.kube.to_dict(),
                           on_first_cap=lambda cap: say_capped(ctx, cap))  # fmt: skip
    load.prepare()
    t0_wall = clock.wall() + START_LEAD_S[ctx.settings.processes > 1]
    run_start(ctx, t0_wall)
    try:
        load.start(t0_wall)
        load.wait(lambda: ctx.interrupts >= 1 or api_lost(ctx) is not None)
    finally:
        load.close()
    ctx.load_result = result = load.result()
    ctx.journal.emit(journal.STAGE, name="submitted_all", detail={
        "locust_requests": result.requests, "locust_failures": result.failures,
        "by_process": {str(k): v for k, v in result.by_process.items()}, "interrupted": ctx.interrupts > 0,
    })  # fmt: skip


def track(ctx: RunContext) -> None:
    """Wait (up to --timeout after the last submission) until every created app is done; end the run when the API
    server stays unreachable longer than --api-grace."""
    assert ctx.run_dir is not None and ctx.tracker is not None
    ctx.tracking_started = True
    if ctx.interrupts >= 2:
        ctx.stop_tracking.set()
    expected = created_apps(ctx.run_dir)
    deadline = ctx.tracking_deadline = clock.mono() + ctx.settings.timeout
    while True:
        check_contact(ctx)
        all_done = ctx.tracker.wait(expected, min(deadline, clock.mono() + TRACK_SLICE_S), abort=ctx.stop_tracking)
        if all_done or ctx.stop_tracking.is_set() or clock.mono() >= deadline:
            break
    ctx.end_reason = "done" if all_done else "interrupted" if ctx.stop_tracking.is_set() else "timeout"


def api_lost(ctx: RunContext) -> Outage | None:
    """The API server's outage, once it has lasted longer than --api-grace (None before, or with no tracker)."""
    outage = ctx.tracker.contact.outage() if ctx.tracker is not None else None
    return outage if outage is not None and outage.lasted() > ctx.settings.api_grace else None


def check_contact(ctx: RunContext) -> None:
    """Raise ApiUnreachable once the API server has been unreachable for longer than --api-grace."""
    outage = api_lost(ctx)
    if outage is not None:
        raise ApiUnreachable(f"API server unreachable since {clock.iso(outage.since_wall)[:19]}Z "
                             f"({outage.lasted():.0f} s, longer than --api-grace {ctx.settings.api_grace:g} s; "
                             f"last error: {outage.error}); objects labelled {ctx.run_id} may remain: "
                             f"`{teardown_command(ctx)}` deletes them once it answers")  # fmt: skip


def cleanup(ctx: RunContext) -> None:
    """Delete what is left of this run, by label, and verify nothing remains (unless --no-cleanup)."""
    assert ctx.journal is not None and ctx.target is not None
    if not ctx.settings.cleanup:
        ctx.journal.emit(journal.STAGE, name="cleanup", detail={"skipped": "--no-cleanup"})
        return
    ctx.journal.emit(journal.STAGE, name="cleanup", detail={})
    try:
        deleted, remaining = kube_cleanup.delete_run(ctx.target.api, ctx.run_id, ctx.settings.spark_namespaces)
    except ApiError as exc:
        raise ApiError(f"{exc}; objects labelled {ctx.run_id} may remain (`{teardown_command(ctx)}` "
                       "deletes them)") from None  # fmt: skip
    ctx.journal.emit(journal.CLEANUP, scenario=ctx.settings.scenario, deleted=deleted, remaining=remaining)
    if remaining:
        raise TeardownError(f"cleanup left {remaining} objects labelled {ctx.run_id} (`{teardown_command(ctx)}` "
                            "deletes them)")  # fmt: skip


def teardown_command(ctx: RunContext) -> str:
    """The `benchkit teardown` command line that deletes this run's objects later."""
    s = ctx.settings
    where = (f"--stack {s.stack}" if s.stack else f"--kubeconfig {ctx.kube.kubeconfig}" if ctx.kube.kubeconfig
             else "")  # fmt: skip
    context = f" --context {s.context}" if s.context else ""
    return f"benchkit teardown {where}{context} --run {ctx.run_id}".replace("  ", " ")


def results(ctx: RunContext) -> None:
    """run_end, summary.json, apps.csv, and the table on stdout (once the run folder exists)."""
    if ctx.journal is None or ctx.run_dir is None:
        return  # refused before the run folder was made: nothing to summarize
    if ctx.interrupts and ctx.end_reason in ("done", "error") and ctx.error is None:
        ctx.end_reason = "interrupted"
    if ctx.capacity.budget_abort:
        ctx.end_reason = "budget"
    detail: dict[str, object] = {"interrupts": ctx.interrupts}
    if ctx.error is not None:
        detail["error"] = ctx.error
    ctx.journal.emit(journal.RUN_END, reason=ctx.end_reason, detail=detail)
    ctx.summary = summary.write(ctx.run_dir)
    apps.write(ctx.run_dir)
    table.render(ctx.summary, ctx.run_dir, ctx.out)
    if ctx.error is not None:  # under the table, the error's first clause; the whole of it is stderr's last line
        headline = re.split(r" \(|; ", ctx.error, maxsplit=1)[0]
        ctx.out.print(f"end: {ctx.end_reason} ({headline})", highlight=False, soft_wrap=True)


@contextmanager
def progress_line(ctx: RunContext) -> Iterator[None]:
    """The live progress line on stderr, from the first submission until tracking ends."""
    progress = ctx.progress = Progress(ctx.console, lambda: snapshot(ctx))
    progress.start()
    try:
        yield
    finally:
        progress.stop()
        ctx.progress = None


def ends(*steps: tuple[str, Action]) -> list[Step]:
    """`at_end` steps that act in the order written (the stack unwinds in reverse)."""
    return [at_end(name, fn) for name, fn in reversed(steps)]


def lifecycle(submit_step: Action = submit, *, interactive: bool = True) -> list[Step]:
    """The one list of steps, in starting order. `submit_step`: what drives the load (Locust in library mode for
    `benchkit run`; plain Locust's own runner for `locust -f`); `interactive`: Ctrl-C handling and the progress
    line (plain Locust has its own)."""
    return [
        *([hold("ctrl_c", ctrl_c)] if interactive else []),
        at_end("budget_verdict", capacity_steps.verdict),  # acts last: after the results and the teardown
        do("validate", validate),
        do("capacity_check", capacity_steps.check),
        do("check_prometheus", observe_steps.check_prometheus),
        hold("target", connected),
        do("doctor", doctor_step.fast_doctor),  # before anything is scaled or created
        hold("prometheus", observe_steps.local_prometheus),
        *ends(
            ("results", results),
            ("collect", observe_steps.collect_metrics),
            ("report", observe_steps.report_step),
            ("slo", observe_steps.slo_step),
        ),
        do("preflight", preflight),
        hold("lease", capacity_steps.lease_held),
        hold("budget_meter", capacity_steps.metered),
        do("manifest", write_manifest),
        *ends(("cleanup", cleanup), ("teardown", capacity_steps.teardown)),
        do("prescale", capacity_steps.prescale),
        hold("autoscale", capacity_steps.autoscaling),
        hold("tracker", tracking),
        *([hold("progress", progress_line)] if interactive else []),
        do("submit", submit_step),
        do("track", track),
    ]


def created_apps(run_dir: Path) -> set[str]:
    """ "namespace/name" of every job the journal says was created."""
    out = set()
    with (run_dir / journal.EVENTS_FILE).open("rb") as fh:
        for line in fh:
            if b'"ev":"submit"' in line and line.endswith(b"\n"):
                ev = orjson.loads(line)
                if ev.get("ok"):
                    out.add(f"{ev['ns']}/{ev['app']}")
    return out


def say_capped(ctx: RunContext, cap: int) -> None:
    """Once per run: the cap shapes the offered rate, so the user must not find it only in summary.json."""
    ctx.console.print(f"benchkit: in-flight cap hit ({cap} creates in flight in one process, --max-inflight "
                      f"{ctx.settings.max_inflight}): due creates wait for a free slot and count as late",
                      highlight=False, soft_wrap=True)  # fmt: skip


def snapshot(ctx: RunContext) -> Snapshot:
    stats = ctx.load.env.stats.total if ctx.load is not None else None
    counts = ctx.counts
    deadline = ctx.tracking_deadline
    outage = ctx.tracker.contact.outage() if ctx.tracker is not None else None
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
        unreachable_s=None if outage is None else outage.lasted(),
    )


@contextmanager
def ctrl_c(ctx: RunContext) -> Iterator[None]:
    """While the pipeline runs, Ctrl-C is a request (see RunContext.interrupt), not an exception."""
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: ctx.interrupt())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


LIFECYCLE = lifecycle()
"""`benchkit run`'s steps. When the run unwinds they act in the order `unwind_order(LIFECYCLE)` gives:
progress, tracker, autoscale, cleanup, teardown, budget_meter, lease, results, collect, report, slo,
prometheus, target, budget_verdict, ctrl_c."""
UNWIND = unwind_order(LIFECYCLE)


def run(settings: RunSettings, steps: Sequence[Step] | None = None, *, console: Console | None = None,
        out: Console | None = None, ctx: RunContext | None = None) -> RunContext:  # fmt: skip
    """Run every step; raise the first error (after unwinding), or Interrupted after Ctrl-C."""
    ctx = ctx or RunContext(settings=settings, console=console or Console(stderr=True), out=out or Console())
    run_steps(ctx, LIFECYCLE if steps is None else steps)
    if ctx.interrupts:
        raise Interrupted(f"interrupted; results in {ctx.run_dir}" if ctx.run_dir else "interrupted")
    return ctx
