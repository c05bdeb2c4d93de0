"""Plain Locust (`locust -f benchkit/locustfile.py ...`): Locust's side of the run lifecycle `benchkit run` uses.

Locust's own CLI or web UI drives the run. On the master (or the only process) test_start starts the
run lifecycle (orchestrate/plain.py, handed in by the locustfile: this layer never imports orchestrate)
and waits until its submit step forwards t0 and the load spec to the workers through the parsed options
(Locust sends custom arguments with every spawn message). When every job is submitted and tracked (or
at quit), the lifecycle unwinds as it does for `benchkit run`: cleanup, results, Locust stopped.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import gevent
from locust import events as locust_events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from benchkit.errors import BenchkitError
from benchkit.kube import connect, rest
from benchkit.load.runner import CAP_MESSAGE, DONE_MESSAGE, STOP_MESSAGE, tell_master_capped
from benchkit.load.spec import LoadSpec
from benchkit.load.submitter import Submitter
from benchkit.load.users import SUBMITTER_ATTR, submitter_of
from benchkit.results import journal
from benchkit.settings import run as run_settings

log = logging.getLogger("benchkit")
SESSION_ATTR = "benchkit_session"
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
    group.add_argument("--api-grace", default="2m", help="How long the API server may stay unreachable before the "
                       "run ends with an error.")  # fmt: skip
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


class Run(Protocol):
    """The run lifecycle, started on test_start (orchestrate/plain.py's PlainRun, wired by the locustfile)."""

    def say_capped(self, cap: int) -> None: ...

    def quit(self) -> None:
        """Locust is quitting: stop, unwind, return when the results are written."""


Start = Callable[[run_settings.RunSettings, "Session"], Run]


class Session:
    """Locust's side of one run on the master (or the only process): settings from Locust's options, t0 and
    the spec forwarded to the workers, their progress, and Locust stopped at the end."""

    def __init__(self, env: Environment, start: Start) -> None:
        opts: Any = env.parsed_options
        users = int(getattr(env.runner, "target_user_count", None) or 1)
        self.processes = len(env.runner.clients.ready) if isinstance(env.runner, MasterRunner) else 1
        self.env = env
        kubeconfig = opts.kubeconfig or str(connect.kubeconfig_path(None))  # never the embedded twin here
        self.settings = run_settings.build(overrides={
            "users": max(users, self.processes), "jobs_per_min": opts.jobs_per_min, "total_jobs": opts.total_jobs,
            "job_limit_per_user": opts.job_limit_per_user, "spark_namespaces": opts.spark_namespaces,
            "spark_template": opts.spark_template, "app_seconds": opts.app_seconds, "scenario": opts.scenario,
            "kubeconfig": kubeconfig, "context": opts.context, "results_dir": opts.results_dir,
            "timeout": opts.timeout, "api_grace": opts.api_grace, "processes": self.processes,
            "max_inflight": opts.max_inflight, "name": opts.run_name, "cleanup": not opts.no_spark_cleanup,
        })  # fmt: skip
        self.done: dict[int, dict[str, int]] = {}
        self.submitter: Submitter | None = None
        self.run = start(self.settings, self)

    # -- LocustSide (orchestrate/plain.py) -------------------------------------------------------

    def forward(self, spec: LoadSpec, api: Any, run_dir: Path, t0_wall: float) -> None:
        opts: Any = self.env.parsed_options
        opts.benchkit_t0_wall, opts.benchkit_spec, opts.benchkit_run_dir = t0_wall, spec.to_json(), str(run_dir)
        if not isinstance(self.env.runner, MasterRunner):
            self.submitter = _attach_submitter(self.env, spec, api, run_dir, index=0, t0_wall=t0_wall,
                                               on_first_cap=self._say_capped)  # fmt: skip

    def _say_capped(self, cap: int) -> None:
        self.run.say_capped(cap)  # self.run is set once start() returns, before any user runs

    def all_submitted(self, timeout: float) -> bool:
        if self.submitter is not None:
            return self.submitter.wait(timeout)
        gevent.sleep(timeout)
        return len(self.done) >= self.processes

    def stop_submitting(self, reason: str) -> None:
        if isinstance(self.env.runner, MasterRunner):
            self.env.runner.send_message(STOP_MESSAGE)
        _stop_submitter(self.env, reason)

    def totals(self) -> tuple[int, int, dict[int, dict[str, int]]]:
        total = self.env.stats.total
        if self.submitter is not None:
            self.done[0] = {"ok": self.submitter.ok, "failed": self.submitter.failed}
        return total.num_requests, total.num_failures, dict(self.done)

    def finished(self, error: BenchkitError | None, interrupted: bool) -> None:
        if error is not None:
            log.error("benchkit: error: %s", " ".join(str(error).split()))
            self.env.process_exit_code = error.exit_code
        runner = self.env.runner
        if runner is not None and not interrupted:  # (interrupted: Locust is quitting already)
            headless = bool(getattr(self.env.parsed_options, "headless", False))
            gevent.spawn_later(0.1, runner.quit if headless else runner.stop)


def register(start: Start) -> None:
    """Subscribe the session's listeners to Locust's events; `start` runs the lifecycle (the locustfile's job)."""
    events: Any = locust_events
    events.init_command_line_parser.add_listener(add_arguments)
    events.init.add_listener(on_init)
    events.test_start.add_listener(partial(on_test_start, start=start))
    events.test_stopping.add_listener(on_test_stopping)
    events.quitting.add_listener(on_quitting)


def on_init(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message(DONE_MESSAGE, lambda environment, msg, **_: _session(environment).done.__setitem__(
            int(msg.data["index"]), msg.data))  # fmt: skip
        runner.register_message(CAP_MESSAGE, lambda environment, msg, **_: _session(environment).run.say_capped(
            int(msg.data["cap"])))  # fmt: skip
    if isinstance(runner, WorkerRunner):
        runner.register_message(
            STOP_MESSAGE, lambda environment, msg, **_: _stop_submitter(environment, "the master's stop")
        )


def on_test_start(environment: Environment, *, start: Start, **_: Any) -> None:
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
        setattr(environment, SESSION_ATTR, Session(environment, start))
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
        session.run.quit()


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
