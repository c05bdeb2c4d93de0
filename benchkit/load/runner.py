"""Run Locust for one benchkit run: a local runner in this process, or a master here plus N worker processes.

Both follow one global schedule from a common t0 (a wall-clock instant decided once every process is
ready), so the offered rate is the same whatever `--processes` is. Every process appends to the same
journal; the master (or the local runner) holds Locust's aggregated stats and writes its CSV files.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.event import Events
from locust.runners import LocalRunner, MasterRunner

from benchkit import clock
from benchkit.errors import BenchkitError
from benchkit.kube import rest
from benchkit.kube.rest import ApiClient
from benchkit.load.locust_csv import LocustCsv
from benchkit.load.spec import LoadSpec
from benchkit.load.submitter import Submitter
from benchkit.load.users import SUBMITTER_ATTR, SparkApplicationUser
from benchkit.results import journal

WORKERS_READY_TIMEOUT_S = 60.0
DONE_MESSAGE = "benchkit_done"
STOP_MESSAGE = "benchkit_stop"
CAP_MESSAGE = "benchkit_inflight_cap"
"""A worker hit its share of the in-flight cap for the first time (data: {"index", "cap"})."""
T0_OPTION = "benchkit_t0_wall"
POLL_S = 0.2


@dataclass
class LoadResult:
    """Locust's view of the run (the journal has the per-job truth; these must agree with it)."""

    requests: int
    failures: int
    by_process: dict[int, dict[str, int]]


class Load:
    """`prepare()` (start processes), `start(t0_wall)`, `wait(stop_requested)`, `close()`."""

    def __init__(self, spec: LoadSpec, api: ApiClient, run_dir: Path, *, kube: dict[str, Any],
                 on_first_cap: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.spec, self.api, self.run_dir, self.kube = spec, api, Path(run_dir), kube
        self.on_first_cap = on_first_cap
        """Called once per run, with the per-process cap, when any process first hits the in-flight cap."""
        self._cap_reported = False
        self.env = Environment(user_classes=[SparkApplicationUser], events=Events())  # type: ignore[no-untyped-call]
        self.runner: LocalRunner | MasterRunner | None = None
        self.csv: LocustCsv | None = None
        self.submitter: Submitter | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.done: dict[int, dict[str, int]] = {}
        self._stop_sent = False

    @property
    def distributed(self) -> bool:
        return self.spec.processes > 1

    def prepare(self) -> None:
        """Start the runner (and the worker processes, connected and ready)."""
        if not self.distributed:
            self.runner = self.env.create_local_runner()
            return
        port = _free_port()
        master = self.runner = self.env.create_master_runner("127.0.0.1", port)
        master.register_message(DONE_MESSAGE, self._on_done)
        master.register_message(CAP_MESSAGE, lambda environment, msg, **_: self._first_cap(int(msg.data["cap"])))
        config = json.dumps({"spec": self.spec.to_json(), "run_dir": str(self.run_dir), "master_port": port,
                             "kube": self.kube}).encode()  # fmt: skip
        for _ in range(self.spec.processes):
            # The kube settings (perhaps a stack's kubeconfig) go through a pipe: never argv, never a file.
            proc = subprocess.Popen(
                [sys.executable, "-m", "benchkit.load.worker"], stdin=subprocess.PIPE, start_new_session=True
            )  # Ctrl-C is the master's to handle
            assert proc.stdin is not None
            proc.stdin.write(config)
            proc.stdin.close()
            self.workers.append(proc)
        deadline = clock.mono() + WORKERS_READY_TIMEOUT_S
        while len(master.clients.ready) < self.spec.processes:
            dead = [p.returncode for p in self.workers if p.poll() is not None]
            if dead or clock.mono() > deadline:
                self.close()
                why = f"exited with {dead}" if dead else f"not ready after {WORKERS_READY_TIMEOUT_S:.0f} s"
                raise BenchkitError(f"Locust worker processes {why}")
            gevent.sleep(POLL_S)

    def start(self, t0_wall: float) -> None:
        """Start the users; the schedule's slot 0 is due at t0_wall."""
        assert self.runner is not None
        self.csv = LocustCsv(self.env, self.run_dir)
        users = max(self.spec.users, self.spec.processes)
        if self.distributed:
            self.env.parsed_options = argparse.Namespace(**{T0_OPTION: t0_wall})  # forwarded to the workers
        else:
            api = rest.tuned(self.api, pool_maxsize=self.spec.inflight_per_process() + 4)
            self.submitter = Submitter(self.spec, api, journal.Journal(self.run_dir, src="submit-0"),
                                       self.env.events.request.fire, process_index=0, processes=1,
                                       t0_wall=t0_wall, on_first_cap=self._first_cap)  # fmt: skip
            setattr(self.env, SUBMITTER_ATTR, self.submitter)
        self.runner.start(users, spawn_rate=users)

    def wait(self, stop_requested: Any) -> None:
        """Block until every process has launched and finished all its creates.

        `stop_requested()` is polled; once true, processes stop taking new slots (creates in flight finish).
        """
        while True:
            if stop_requested() and not self._stop_sent:
                self._stop_sent = True
                if self.submitter is not None:
                    self.submitter.stop("stop requested (Ctrl-C, budget or error)")
                elif self.runner is not None:
                    self.runner.send_message(STOP_MESSAGE)
            if self.submitter is not None and self.submitter.wait(POLL_S):
                return
            if self.distributed:
                if len(self.done) >= self.spec.processes:
                    return
                if any(p.poll() is not None for p in self.workers) and len(self.done) < self.spec.processes:
                    raise BenchkitError("a Locust worker process died during the run")
                gevent.sleep(POLL_S)

    def result(self) -> LoadResult:
        total = self.env.stats.total
        if self.submitter is not None:
            self.done[0] = {"ok": self.submitter.ok, "failed": self.submitter.failed}
        return LoadResult(requests=total.num_requests, failures=total.num_failures, by_process=dict(self.done))

    def close(self) -> None:
        """Stop the runner and the worker processes; write Locust's CSV files."""
        if self.runner is not None:
            self.runner.quit()
        for proc in self.workers:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.csv is not None:
            self.csv.close()
            self.csv = None

    def _first_cap(self, cap: int) -> None:
        if not self._cap_reported and self.on_first_cap is not None:
            self._cap_reported = True
            self.on_first_cap(cap)

    def _on_done(self, environment: Environment, msg: Any, **_: Any) -> None:
        self.done[int(msg.data["index"])] = {"ok": int(msg.data["ok"]), "failed": int(msg.data["failed"])}


def tell_master_capped(runner: Any, index: int) -> Callable[[int], None]:
    """A worker's `on_first_cap`: tell the master, which says it once for the whole run."""
    return lambda cap: runner.send_message(CAP_MESSAGE, {"index": index, "cap": cap})


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
