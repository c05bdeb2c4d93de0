"""One observation environment per test session, shared by tests/observe and tests/report.

A twin (1 operator worker, fast profile) and a real Prometheus (/usr/bin/prometheus) scraping its /metrics
every second, then two real `benchkit run`s against that twin, each collecting from that Prometheus:
  base       60 jobs at 600/min, under the operator's capacity; SLOs that hold      -> exit 0
  candidate  60 jobs at 1500/min, above it (the backlog grows); one SLO breached     -> exit 3
  ramp       80 jobs offered at 300, 900, then 1500/min in 3 s steps (the saturation finder)
Memoised in this module (both test folders' conftests hand it out); stopped after the last test that uses it
(tests/conftest.py counts them down) or at exit.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchkit.observe.local import LocalPrometheus, ScrapeTarget, find_binary
from benchkit.twin.process import TwinProcess

RUN_TIMEOUT_S = 180
BASE_SLO = ["create_to_running.p99 <= 60", "jobs.failed <= 0", "rate.achieved_ratio >= 0.5"]
CANDIDATE_SLO = ["create_to_running.p99 <= 0.05", "jobs.failed <= 0"]


@dataclass(frozen=True)
class RunResult:
    path: Path
    exit_code: int
    output: str
    started: float
    ended: float


@dataclass(frozen=True)
class Environment:
    twin: TwinProcess
    prometheus: LocalPrometheus
    base: RunResult
    candidate: RunResult
    ramp: RunResult
    workdir: Path


def benchkit(*args: str, timeout: float = RUN_TIMEOUT_S, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess (Locust must never be imported into the pytest process)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "benchkit", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd, check=False)  # fmt: skip


def run_scenario(workdir: Path, name: str, scenario: dict[str, object], *flags: str) -> RunResult:
    scenario_file = workdir / f"{name}.yaml"
    scenario_file.write_text(json.dumps(scenario))  # JSON is YAML
    results = workdir / name
    started = time.time()
    proc = benchkit("run", str(scenario_file), "--results-dir", str(results), "--name", name, *flags)
    ended = time.time()
    folders = sorted(p.parent for p in results.glob("*/events.jsonl"))
    assert folders, f"benchkit run {name} wrote no run folder (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    return RunResult(folders[-1], proc.returncode, proc.stdout + proc.stderr, started, ended)


@functools.cache
def environment() -> Environment:
    if find_binary() is None:
        raise RuntimeError("these tests need Prometheus: sudo apt-get install prometheus (make test installs it)")
    workdir = Path(tempfile.mkdtemp(prefix="benchkit-observe-tests-"))
    twin = TwinProcess(nodes=20, operator_workers=1, workdir=workdir / "twin").start()
    atexit.register(twin.close)
    prometheus = LocalPrometheus([ScrapeTarget("twin", f"{twin.url}/metrics", twin.token, twin.ca_file)],
                                 scrape_interval=1.0).start()  # fmt: skip
    atexit.register(prometheus.stop)
    prometheus.wait_for_targets()
    common = ["--kubeconfig", str(twin.kubeconfig), "--prometheus-url", prometheus.url]
    shape = {"total-jobs": 60, "app-seconds": 1, "users": 2}
    base = run_scenario(workdir, "base", {**shape, "jobs-per-min": 600, "slo": BASE_SLO}, *common)
    candidate = run_scenario(workdir, "candidate", {**shape, "jobs-per-min": 1500, "slo": CANDIDATE_SLO}, *common)
    ramp = run_scenario(workdir, "ramp", {**shape, "total-jobs": 80, "ramp": "300:600:3s:1500"}, *common)
    return Environment(twin, prometheus, base, candidate, ramp, workdir)


def close() -> None:
    """Stop the environment's Prometheus and twin if it was built (its run folders stay for the session)."""
    if environment.cache_info().currsize == 0:
        return
    env = environment()
    env.prometheus.stop()
    env.twin.close()
    environment.cache_clear()
