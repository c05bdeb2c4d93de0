"""A Locust worker process of `benchkit run --processes N` (`python -m benchkit.load.worker`).

Reads its configuration (load spec, run folder, master port, how to reach the cluster) as JSON on
stdin, connects to the master, and on test start follows slots `index, index + N, ...` of the global
schedule from the t0 the master forwarded. Exits soon after its parent dies (PR_SET_PDEATHSIG, and a
parent-pid watch where prctl is missing), once the creates in flight have finished.
"""

from __future__ import annotations

import benchkit.load.gevent_first  # noqa: F401  # isort: skip  (first: it patches the process, scanning plugins once)
import contextlib
import ctypes
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import gevent
import gevent.event
from locust.env import Environment
from locust.event import Events

from benchkit.kube import connect, rest
from benchkit.kube.stack import StackOutputs
from benchkit.load.runner import DONE_MESSAGE, STOP_MESSAGE, T0_OPTION, tell_master_capped
from benchkit.load.spec import LoadSpec
from benchkit.load.submitter import Submitter
from benchkit.load.users import SUBMITTER_ATTR, SparkApplicationUser, submitter_of
from benchkit.results import journal

PR_SET_PDEATHSIG = 1
EXIT_GRACE_S = 30.0
"""After SIGTERM or the parent's death: how long creates in flight may take (a create's retries last up to ~24 s)."""
PARENT_POLL_S = 1.0


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="worker: %(levelname)s %(message)s")
    parent = os.getppid()
    config = json.loads(sys.stdin.read())
    _die_with_parent()
    spec = LoadSpec.from_json(config["spec"])
    target = kube_target(config["kube"])
    api = rest.tuned(target.api, pool_maxsize=spec.inflight_per_process() + 4)
    env = Environment(user_classes=[SparkApplicationUser], events=Events())  # type: ignore[no-untyped-call]
    runner = env.create_worker_runner("127.0.0.1", int(config["master_port"]))
    run_dir = Path(config["run_dir"])

    def on_test_start(environment: Environment, **_: Any) -> None:
        index = runner.worker_index
        sub = Submitter(spec, api, journal.Journal(run_dir, src=f"submit-{index}"), env.events.request.fire,
                        process_index=index, processes=spec.processes,
                        t0_wall=float(getattr(environment.parsed_options, T0_OPTION)),
                        on_first_cap=tell_master_capped(runner, index))  # fmt: skip
        setattr(env, SUBMITTER_ATTR, sub)
        gevent.spawn(report_when_done, sub, index)

    def report_when_done(sub: Submitter, index: int) -> None:
        sub.wait()
        runner._send_stats()  # Locust's own final report, ordered before our message on the same socket
        runner.send_message(DONE_MESSAGE, {"index": index, "ok": sub.ok, "failed": sub.failed})

    def on_stop(*_: Any, **__: Any) -> None:
        sub = submitter_of(env)
        if sub is not None:
            sub.stop("the orchestrator's stop")

    env.events.test_start.add_listener(on_test_start)  # type: ignore[no-untyped-call]
    runner.register_message(STOP_MESSAGE, on_stop)
    gevent.signal_handler(signal.SIGINT, lambda: None)  # Ctrl-C is the master's to handle
    _leave_when_orphaned(env, runner, parent)
    runner.greenlet.join()


def kube_target(kube: dict[str, Any]) -> connect.Target:
    """Connect as the master did: {"kubeconfig", "context"} or {"stack", "stack_kubeconfig", "context"}."""
    if kube.get("stack_kubeconfig") is not None:
        outputs = StackOutputs(stack=kube["stack"], cluster_name="", region="", kubeconfig=kube["stack_kubeconfig"],
                               node_groups={})  # fmt: skip
        return connect.connect(context=kube.get("context"), stack=outputs)
    path = kube.get("kubeconfig")
    return connect.connect(Path(path) if path else None, kube.get("context"))


def _leave_when_orphaned(env: Environment, runner: Any, parent: int) -> None:
    """On SIGTERM, or once the parent pid changes: submit nothing more, let the creates in flight finish, quit.

    Otherwise a worker whose `benchkit run` died waits for Locust's 60 s master-heartbeat timeout, though
    nobody is left to report to.
    """
    leaving = gevent.event.Event()

    def leave(why: str) -> None:
        if leaving.is_set():  # SIGTERM and the parent watch both notice a dead parent
            return
        leaving.set()
        sub = submitter_of(env)
        if sub is not None:
            sub.stop(why)
            if not sub.wait(EXIT_GRACE_S):
                logging.warning("exiting (%s) with creates still in flight after %.0f s", why, EXIT_GRACE_S)
        runner.quit()

    def watch_parent() -> None:
        while os.getppid() == parent:
            gevent.sleep(PARENT_POLL_S)
        leave("the benchkit run process is gone")

    gevent.signal_handler(signal.SIGTERM, lambda: gevent.spawn(leave, "SIGTERM"))
    gevent.spawn(watch_parent)


def _die_with_parent() -> None:
    """Get SIGTERM when the `benchkit run` process dies (even by kill -9), instead of submitting on alone."""
    # not Linux: no prctl; the parent watch of _leave_when_orphaned notices within PARENT_POLL_S
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


if __name__ == "__main__":
    main()
