"""The real kubectl against the twin: discovery, tables with printer columns, create -f, delete."""

from __future__ import annotations

import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import yaml

from benchkit.twin.process import TwinProcess

from .helpers import Clients, app, find_kubectl, state, wait_until

KUBECTL = find_kubectl()
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def kubectl(twin: TwinProcess, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    proc = subprocess.run([KUBECTL, "--kubeconfig", str(twin.kubeconfig), *args], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _header(out: str) -> list[str]:
    return out.splitlines()[0].split()


def test_get_nodes_and_namespaces(twin: TwinProcess) -> None:
    out = kubectl(twin, "get", "nodes").stdout
    assert _header(out) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert "Ready" in out.splitlines()[1]
    out = kubectl(twin, "get", "namespaces").stdout
    assert "spark-team-a" in out and _header(out) == ["NAME", "STATUS", "AGE"]


def test_create_get_and_delete_a_sparkapplication(twin: TwinProcess, k8s: Clients, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:10]
    manifest = tmp_path / "app.yaml"
    body = app("kubectl-pi", run, seconds=30)
    body["metadata"]["namespace"] = "spark-team-a"
    manifest.write_text(yaml.safe_dump(body))
    assert (
        "sparkapplication.sparkoperator.k8s.io/kubectl-pi created"
        in kubectl(twin, "create", "-f", str(manifest)).stdout
    )
    again = kubectl(twin, "create", "-f", str(manifest), check=False)
    assert again.returncode != 0 and "AlreadyExists" in again.stderr

    wait_until(lambda: state(k8s.get_app("spark-team-a", "kubectl-pi")) == "RUNNING", what="RUNNING")
    out = kubectl(twin, "get", "sparkapplications", "-A").stdout
    assert _header(out) == ["NAMESPACE", "NAME", "STATUS", "ATTEMPTS", "START", "FINISH", "AGE"]
    row = next(line.split() for line in out.splitlines() if "kubectl-pi" in line)
    assert row[0] == "spark-team-a" and row[2] == "RUNNING"

    pods = kubectl(twin, "get", "pods", "-A", "-l", f"benchkit.io/run-id={run}").stdout
    assert _header(pods) == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert "kubectl-pi-driver" in pods
    wide = kubectl(twin, "get", "pods", "-n", "spark-team-a", "-o", "wide", "-l", f"benchkit.io/run-id={run}").stdout
    assert "NODE" in _header(wide)

    out = kubectl(twin, "delete", "sparkapplication", "kubectl-pi", "-n", "spark-team-a").stdout
    assert 'sparkapplication.sparkoperator.k8s.io "kubectl-pi" deleted' in out
    assert "No resources found" in kubectl(twin, "get", "pods", "-A", "-l", f"benchkit.io/run-id={run}").stderr


def test_invalid_manifest_shows_the_field(twin: TwinProcess, tmp_path: Path) -> None:
    body = app("kubectl-bad", "r")
    del body["spec"]["driver"]
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(yaml.safe_dump(body))
    proc = kubectl(twin, "create", "-n", "default", "-f", str(manifest), check=False)
    assert proc.returncode != 0 and "spec.driver: Required value" in proc.stderr


def test_short_names_and_json_output(twin: TwinProcess) -> None:
    assert kubectl(twin, "get", "sparkapp", "-A", "-o", "json").stdout.lstrip().startswith("{")
    assert kubectl(twin, "api-resources").stdout.count("sparkapplications") == 1


def test_get_watch_prints_printer_columns(twin: TwinProcess, k8s: Clients) -> None:
    assert KUBECTL is not None
    run = uuid.uuid4().hex[:10]
    args = ["get", "sparkapplications", "-n", "spark-team-b", "-w", "-l", f"benchkit.io/run-id={run}"]
    proc = subprocess.Popen([KUBECTL, "--kubeconfig", str(twin.kubeconfig), *args], stdout=subprocess.PIPE, text=True)
    lines: list[str] = []  # what kubectl printed so far (read on a thread: waiting on its output, not a fixed sleep)
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        wait_until(lambda: twin.admin("GET", "stats")["watchers"]["sparkapplications"] >= 1, what="kubectl's watch")
        k8s.create_app("spark-team-b", app("kw-1", run, seconds=0.2))
        wait_until(lambda: state(k8s.get_app("spark-team-b", "kw-1")) == "COMPLETED", what="COMPLETED")
        row = ["kw-1", "COMPLETED"]
        wait_until(lambda: any(line.split()[:2] == row for line in list(lines)), timeout=10, what="the COMPLETED row")
    finally:
        proc.terminate()
    proc.wait(timeout=10)
    reader.join(timeout=10)
    out = "".join(lines)
    assert _header(out) == ["NAME", "STATUS", "ATTEMPTS", "START", "FINISH", "AGE"]
    assert any(line.split()[:2] == ["kw-1", "COMPLETED"] for line in out.splitlines())
