"""What `benchkit run` does when things go wrong or get tight: a cluster dying mid-run, the in-flight cap, a kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.run.conftest import REPO, benchkit, events, load_summary, only_run_dir, run_args

pytestmark = pytest.mark.slow  # real `benchkit run`s against the twin


def start_benchkit(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "benchkit", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)  # fmt: skip


def wait_for_run_dir(results: Path, created: int, timeout: float = 60.0) -> Path:
    """The run folder, once its journal holds `created` acknowledged creates."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dirs = [p for p in results.iterdir() if p.is_dir()] if results.is_dir() else []
        if dirs and (dirs[0] / "events.jsonl").is_file():
            ok = sum(1 for e in events(dirs[0]) if e["ev"] == "submit" and e.get("ok"))
            if ok >= created:
                return dirs[0]
        time.sleep(0.2)
    raise AssertionError(f"no run folder with {created} created apps within {timeout:g} s")


def test_cluster_dying_mid_run_is_one_error_line_exit_1_and_end_error(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    proc = start_benchkit(*run_args(twin, results, "--total-jobs", "10", "--jobs-per-min", "600", "--app-seconds",
                                    "300", "--timeout", "5"))  # fmt: skip
    try:
        run_dir = wait_for_run_dir(results, created=10)
        twin.kill()  # the apps are running; tracking, then cleanup, find no API server
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    errors = [line for line in err.splitlines() if "error" in line.lower()]
    assert errors == [err.strip().splitlines()[-1]], err[-3000:]  # one error line, the last one
    assert errors[0].startswith(f"benchkit: error: cleanup of run {run_dir.name}: no answer from the API server")
    teardown = f"benchkit teardown --kubeconfig {twin.kubeconfig} --run {run_dir.name}"
    assert errors[0].endswith(f"`{teardown}` deletes them)")
    s = load_summary(run_dir)
    assert s["end"] == "error" and s["jobs"]["created"] == 10
    assert "end: error" in out and f"results: {run_dir}" in out


@pytest.mark.parametrize("processes", [1, 2])
def test_in_flight_cap_is_said_once_on_stderr_and_counted_in_the_table(
    make_twin: Any, tmp_path: Path, processes: int
) -> None:
    twin = make_twin(api_latency_ms=300)  # each create holds its slot for 300 ms; one is due every 50 ms
    results = tmp_path / "runs"
    proc = benchkit(*run_args(twin, results, "--total-jobs", "12", "--jobs-per-min", "1200", "--app-seconds", "1",
                              "--max-inflight", "1", "--processes", str(processes), "--timeout", "60"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    said = [line for line in proc.stderr.splitlines() if "in-flight cap" in line]
    assert said == ["benchkit: in-flight cap hit (1 creates in flight in one process, --max-inflight 1): due creates "
                    "wait for a free slot and count as late"], proc.stderr[-3000:]  # fmt: skip
    hits = load_summary(only_run_dir(results))["api"]["inflight_cap_hits"]
    assert hits >= processes
    [row] = [line for line in proc.stdout.splitlines() if "in-flight cap hits" in line]
    assert row.strip("│ ").split()[-1] == str(hits), row


def test_worker_processes_exit_soon_after_benchkit_run_is_killed(make_twin: Any, tmp_path: Path) -> None:
    """Locust would keep them for its 60 s master-heartbeat timeout; they leave once their creates in flight end."""
    twin = make_twin()
    proc = start_benchkit(*run_args(twin, tmp_path / "runs", "--processes", "2", "--total-jobs", "600",
                                    "--jobs-per-min", "600", "--app-seconds", "5"))  # fmt: skip
    try:
        wait_for_run_dir(tmp_path / "runs", created=10)
        workers = [p for p in psutil.Process(proc.pid).children() if "benchkit.load.worker" in p.cmdline()]
        assert len(workers) == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        killed = time.monotonic()
        _, alive = psutil.wait_procs(workers, timeout=20)
        waited = time.monotonic() - killed
        for worker in alive:  # a failed test leaves no process behind
            worker.kill()
    finally:
        proc.kill()
        proc.communicate()
    assert alive == [], f"{len(alive)} worker(s) still running {waited:.0f} s after kill -9"
