"""A Locust worker process of `benchkit run --processes N` (`python -m benchkit.load.worker`).

Reads its configuration (load spec, run folder, master port, how to reach the cluster) as JSON on
stdin, connects to the master, and on test start follows slots `index, index + N, ...` of the global
schedule from the t0 the master forwarded. Dies with its parent (PR_SET_PDEATHSIG), after finishing
the creates in flight.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import gevent
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


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="worker: %(levelname)s %(message)s")
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
            sub.stop("the orchestrator's stop (or SIGTERM)")

    env.events.test_start.add_listener(on_test_start)  # type: ignore[no-untyped-call]
    runner.register_message(STOP_MESSAGE, on_stop)
    gevent.signal_handler(signal.SIGTERM, on_stop)
    gevent.signal_handler(signal.SIGINT, lambda: None)  # Ctrl-C is the master's to handle
    runner.greenlet.join()


def kube_target(kube: dict[str, Any]) -> connect.Target:
    """Connect as the master did: {"kubeconfig", "context"} or {"stack", "stack_kubeconfig", "context"}."""
    if kube.get("stack_kubeconfig") is not None:
        outputs = StackOutputs(stack=kube["stack"], cluster_name="", region="", kubeconfig=kube["stack_kubeconfig"],
                               node_groups={})  # fmt: skip
        return connect.connect(context=kube.get("context"), stack=outputs)
    path = kube.get("kubeconfig")
    return connect.connect(Path(path) if path else None, kube.get("context"))


def _die_with_parent() -> None:
    """Get SIGTERM when the `benchkit run` process dies (even by kill -9), instead of submitting on alone."""
    # not Linux: no prctl; the master's heartbeat timeout still stops us, later
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


if __name__ == "__main__":
    main()
