"""Plain Locust (`locust -f benchkit/locustfile.py ...`): the same schedule, journal, tracker and results.

Locust's own CLI or web UI drives the run. On the master (or the only process) test_start connects,
checks the namespaces, opens the run folder and starts the tracker, then forwards t0 and the load spec to
the workers through the parsed options (Locust sends custom arguments with every spawn message). When
every job is submitted and tracked (or at quit), the results are written and the run's objects deleted.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from benchkit import clock
from benchkit.errors import BenchkitError
from benchkit.kube import cleanup as kube_cleanup
from benchkit.kube import cluster, connect, rest
from benchkit.load.runner import CAP_MESSAGE, DONE_MESSAGE, STOP_MESSAGE, tell_master_capped
from benchkit.load.schedule import mono_origin
from benchkit.load.spec import LoadSpec
from benchkit.load.submitter import Submitter
from benchkit.load.users import SUBMITTER_ATTR, submitter_of
from benchkit.results import apps, journal, manifest, runid, summary
from benchkit.settings import run as run_settings
from benchkit.spark import template
from benchkit.tracker.tracker import Tracker

log = logging.getLogger("benchkit")
SESSION_ATTR = "benchkit_session"
START_LEAD_S = 1.0
FORWARDED = ("benchkit_t0_wall", "benchkit_spec", "benchkit_run_dir")


def add_arguments(parser: Any) -> None:
    """The kit-compatible flags (`--jobs-per-min` is GLOBAL here, not per user) plus benchkit's own."""
    group = parser  # on the parser itself (not a group): only those arguments appear in the web UI
    group.add_argument(
        "--jobs-per-min",
        type=float,
        default=60.0,
        env_var="BENCHKIT_JOBS_PER_MIN",
        help="GLOBAL submission rate (jobs/min) across all users and processes (not per user).",
    )
    group.add_argument(
        "--job-limit-per-user",
        type=int,
        default=None,
        env_var="BENCHKIT_JOB_LIMIT_PER_USER",
        help="Jobs per user: total = users x limit (default 20 when --total-jobs is not given).",
    )
    group.add_argument("--total-jobs", type=int, default=None, help="Total jobs (instead of --job-limit-per-user).")
    group.add_argument(
        "--spark-namespaces",
        default=",".join(run_settings.DEFAULT_NAMESPACES),
        env_var="BENCHKIT_SPARK_NAMESPACES",
        help="Comma-separated namespaces (round-robin).",
    )
    group.add_argument(
        "--spark-template",
        default=None,
        env_var="BENCHKIT_SPARK_TEMPLATE",
        help="SparkApplication template (default: benchkit's pi-sleep).",
    )
    group.add_argument("--app-seconds", default="30", help="How long each app sleeps (e.g. 30, 2m).")
    group.add_argument(
        "--scenario",
        default="delete",
        choices=run_settings.SCENARIOS,
        help="delete: delete each app once terminal; keep: keep them.",
    )
    group.add_argument("--kubeconfig", default=None, help="Kubeconfig (default: $KUBECONFIG's first file, else "
                       "~/.kube/config).")  # fmt: skip
    group.add_argument("--context", default=None, help="Kubeconfig context.")
    group.add_argument("--results-dir", default="runs", help="Where the run folder goes.")
    group.add_argument("--timeout", default="30m", help="Tracking time after the last submission.")
    group.add_argument("--max-inflight", type=int, default=256, help="Cap on concurrent create calls.")
    group.add_argument(
        "--no-spark-cleanup",
        action="store_true",
        default=False,
        help="Leave this run's objects on the cluster (default: delete them, by label).",
    )
    group.add_argument("--run-name", default=None, help="Short name, part of the run id.")
    for name in FORWARDED:
        group.add_argument(f"--{name.replace('_', '-')}", default=None, include_in_web_ui=False, help=argparse.SUPPRESS)


class Session:
    """One run on the master (or the only process)."""

    def __init__(self, env: Environment) -> None:
        opts: Any = env.parsed_options
        users = int(getattr(env.runner, "target_user_count", None) or 1)
        processes = len(env.runner.clients.ready) if isinstance(env.runner, MasterRunner) else 1
        self.env = env
        self.settings = run_settings.build(overrides={
            "users": max(users, processes), "jobs_per_min": opts.jobs_per_min, "total_jobs": opts.total_jobs,
            "job_limit_per_user": opts.job_limit_per_user, "spark_namespaces": opts.spark_namespaces,
            "spark_template": opts.spark_template, "app_seconds": opts.app_seconds, "scenario": opts.scenario,
            "kubeconfig": opts.kubeconfig, "context": opts.context, "results_dir": opts.results_dir,
            "timeout": opts.timeout, "processes": processes, "max_inflight": opts.max_inflight,
            "name": opts.run_name, "cleanup": not opts.no_spark_cleanup,
        })  # fmt: skip
        s = self.settings
        self.template = template.load(s.spark_template)
        self.target = connect.connect(s.kubeconfig, s.context)
        cluster.check_crd(self.target.api, self.target.server)
        cluster.check_namespaces(self.target.api, s.spark_namespaces, self.target.server)
        self.run_id = runid.new_run_id(s.name)
        self.run_dir = s.results_dir / self.run_id
        self.run_dir.mkdir(parents=True, exist_ok=False)
        self.journal = journal.Journal(self.run_dir, src="orchestrator")
        manifest.write(
            self.run_dir,
            manifest.build(
                run_id=self.run_id,
                settings=s.to_dict(),
                twin=None,
                target={
                    "server": self.target.server,
                    "source": self.target.source,
                    "version": cluster.server_version(self.target.api),
                },
                extra={
                    "driver": "locust -f benchkit/locustfile.py",
                    "time_to_live_seconds": template.time_to_live(self.template, s.scenario),
                },
            ),
        )
        self.tracker = Tracker(self.target.api, run_id=self.run_id, namespaces=s.spark_namespaces,
                               scenario=s.scenario, journal_=journal.Journal(self.run_dir, src="tracker"))  # fmt: skip
        self.tracker.start()
        while not self.tracker.synced():
            gevent.sleep(0.05)
        self.done: dict[int, dict[str, int]] = {}
        self.finished = False
        self.cap_reported = False
        self.spec = LoadSpec(run_id=self.run_id, scenario=s.scenario, namespaces=s.spark_namespaces, total=s.total,
                             steps=((0.0, s.jobs_per_min),), app_seconds=s.app_seconds, max_inflight=s.max_inflight,
                             processes=processes, users=s.users, template=self.template.body,
                             template_source=self.template.source)  # fmt: skip
        t0_wall = clock.wall() + START_LEAD_S
        opts.benchkit_t0_wall, opts.benchkit_spec, opts.benchkit_run_dir = (
            t0_wall,
            self.spec.to_json(),
            str(self.run_dir),
        )
        self.journal.emit(journal.RUN_START, run_id=self.run_id, scenario=s.scenario, planned=s.total,
                          target_per_min=s.jobs_per_min, namespaces=list(s.spark_namespaces),
                          t0_mono=mono_origin(t0_wall, clock.wall(), clock.mono()), t0_wall=t0_wall,
                          steps=[[0.0, s.jobs_per_min]], ramp=None, users=s.users, processes=processes,
                          max_inflight=s.max_inflight)  # fmt: skip
        if not isinstance(env.runner, MasterRunner):
            _attach_submitter(env, self.spec, self.target.api, self.run_dir, index=0, t0_wall=t0_wall,
                              on_first_cap=self.say_capped)  # fmt: skip
        log.warning("benchkit: run %s: results in %s", self.run_id, self.run_dir)
        gevent.spawn(self.run_to_end)

    def say_capped(self, cap: int) -> None:
        """Once per run, on stderr: the first time any process hit the in-flight cap."""
        if not self.cap_reported:
            self.cap_reported = True
            log.warning("benchkit: in-flight cap hit (%d creates in flight in one process, --max-inflight %d): due "
                        "creates wait for a free slot and count as late", cap, self.settings.max_inflight)  # fmt: skip

    def run_to_end(self) -> None:
        """Wait for submission, then tracking; then finish and stop Locust."""
        sub = submitter_of(self.env)
        while not (sub.wait(0.2) if sub is not None else len(self.done) >= self.spec.processes):
            gevent.sleep(0.2)
        deadline = clock.mono() + self.settings.timeout
        expected = _created(self.run_dir)
        all_done = self.tracker.wait(expected, deadline)
        self.finish("done" if all_done else "timeout")
        runner = self.env.runner
        if runner is not None:
            headless = bool(getattr(self.env.parsed_options, "headless", False))
            runner.quit() if headless else runner.stop()

    def finish(self, reason: str) -> None:
        """Results and cleanup, once (also from `quitting`, when the run is cut short)."""
        if self.finished:
            return
        self.finished = True
        counts = self.tracker.stop()
        self.journal.emit(journal.STAGE, name="tracking_done", detail={**counts, "all_done": reason == "done"})
        if self.settings.cleanup:
            deleted, remaining = kube_cleanup.delete_run(self.target.api, self.run_id, self.settings.spark_namespaces)
            self.journal.emit(journal.CLEANUP, scenario=self.settings.scenario, deleted=deleted, remaining=remaining)
        self.journal.emit(journal.RUN_END, reason=reason, detail={})
        result = summary.write(self.run_dir)
        apps.write(self.run_dir)
        jobs = result.jobs
        log.warning("benchkit: run %s %s: %s submitted, %s completed, %s failed, %s unfinished; results in %s",
                    self.run_id, reason, jobs.submitted, jobs.completed, jobs.failed, jobs.unfinished,
                    self.run_dir)  # fmt: skip


def register(events: Any) -> None:
    """Subscribe the session's listeners to Locust's events (the locustfile's only job)."""
    events.init_command_line_parser.add_listener(add_arguments)
    events.init.add_listener(on_init)
    events.test_start.add_listener(on_test_start)
    events.test_stopping.add_listener(on_test_stopping)
    events.quitting.add_listener(on_quitting)


def on_init(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message(DONE_MESSAGE, lambda environment, msg, **_: _session(environment).done.__setitem__(
            int(msg.data["index"]), msg.data))  # fmt: skip
        runner.register_message(CAP_MESSAGE, lambda environment, msg, **_: _session(environment).say_capped(
            int(msg.data["cap"])))  # fmt: skip
    if isinstance(runner, WorkerRunner):
        runner.register_message(
            STOP_MESSAGE, lambda environment, msg, **_: _stop_submitter(environment, "the master's stop")
        )


def on_test_start(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        opts: Any = environment.parsed_options
        spec = LoadSpec.from_json(opts.benchkit_spec)
        target = connect.connect(Path(opts.kubeconfig) if opts.kubeconfig else None, opts.context)
        index = runner.worker_index
        sub = _attach_submitter(environment, spec, target.api, Path(opts.benchkit_run_dir), index=index,
                                t0_wall=float(opts.benchkit_t0_wall),
                                on_first_cap=tell_master_capped(runner, index))  # fmt: skip

        def report() -> None:
            sub.wait()
            runner._send_stats()  # Locust's final report, ordered before ours on the same socket
            runner.send_message(DONE_MESSAGE, {"index": runner.worker_index, "ok": sub.ok, "failed": sub.failed})

        gevent.spawn(report)
        return
    try:
        setattr(environment, SESSION_ATTR, Session(environment))
    except BenchkitError as exc:
        log.error("benchkit: error: %s", exc)
        environment.process_exit_code = exc.exit_code
        if runner is not None:
            gevent.spawn_later(0.1, runner.quit)


def on_test_stopping(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        environment.runner.send_message(STOP_MESSAGE)
    _stop_submitter(environment, f"Locust test_stopping on the {type(environment.runner).__name__}")


def on_quitting(environment: Environment, **_: Any) -> None:
    session = getattr(environment, SESSION_ATTR, None)
    if isinstance(session, Session):
        session.finish("interrupted")


def _attach_submitter(env: Environment, spec: LoadSpec, api: Any, run_dir: Path, *, index: int, t0_wall: float,
                      on_first_cap: Callable[[int], None]) -> Submitter:  # fmt: skip
    tuned = rest.tuned(api, pool_maxsize=spec.inflight_per_process() + 4)
    sub = Submitter(spec, tuned, journal.Journal(run_dir, src=f"submit-{index}"), env.events.request.fire,
                    process_index=index, processes=spec.processes, t0_wall=t0_wall,
                    on_first_cap=on_first_cap)  # fmt: skip
    setattr(env, SUBMITTER_ATTR, sub)
    return sub


def _stop_submitter(env: Environment, reason: str) -> None:
    sub = submitter_of(env)
    if sub is not None:
        sub.stop(reason)


def _session(env: Environment) -> Session:
    session = getattr(env, SESSION_ATTR)
    assert isinstance(session, Session)
    return session


def _created(run_dir: Path) -> set[str]:
    return {f"{e['ns']}/{e['app']}" for e in journal.read(run_dir) if e.get("ev") == journal.SUBMIT and e.get("ok")}
