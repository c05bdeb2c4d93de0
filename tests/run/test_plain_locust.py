"""`locust -f benchkit/locustfile.py` (Locust's own CLI) runs the same schedule, journal, tracker and results."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.run.conftest import REPO, load_summary, only_run_dir

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_plain_locust_refuses_a_non_finite_rate(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    cmd = [sys.executable, "-m", "locust", "-f", "benchkit/locustfile.py", "--headless", "-u", "1", "-r", "1",
           "--jobs-per-min", "nan", "--total-jobs", "5", "--kubeconfig", str(twin.kubeconfig),
           "--results-dir", str(results)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if "benchkit: error:" in line]
    assert len(errors) == 1 and errors[0].endswith("jobs-per-min: expected a finite number, got nan"), proc.stderr
    assert not results.exists()
    writes = [k for k in twin.admin("GET", "stats")["requests"] if k.split()[0] in ("POST", "DELETE")]
    assert writes == [], writes


def test_plain_locust_with_two_processes(make_twin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    twin = make_twin()
    results = tmp_path / "runs"
    port = free_port()  # not Locust's default 5557: workers of another Locust on this machine would join us
    cmd = [sys.executable, "-m", "locust", "-f", "benchkit/locustfile.py", "--headless", "-u", "2", "-r", "2",
           "--processes", "2", "--master-bind-port", str(port), "--master-port", str(port),
           "--jobs-per-min", "1200", "--total-jobs", "90", "--app-seconds", "1",
           "--kubeconfig", str(twin.kubeconfig), "--results-dir", str(results), "--timeout", "60"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180, check=False)
    (tmp_path / "locust.stderr").write_text(proc.stderr)  # kept by pytest for a post-mortem
    why = "\n".join(
        line for line in proc.stderr.splitlines() if "benchkit" in line or "Worker" in line or "worker" in line
    )
    assert proc.returncode == 0, why[-4000:] + "\n---\n" + proc.stderr[-2000:]
    s = load_summary(only_run_dir(results))
    assert s["jobs"]["created"] == s["jobs"]["completed"] == 90 and s["end"] == "done"
    assert 0.97 <= s["rate"]["achieved_ratio"] <= 1.03
    assert s["cleanup"] == {"deleted": 0, "remaining": 0}
    # Locust's own summary counts one request per job
    assert any(line.split()[:3] == ["POST", "SparkApplication", "90"] for line in proc.stderr.splitlines())
