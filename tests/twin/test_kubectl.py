"""The real kubectl against the twin: discovery, tables with printer columns, create -f, delete, get -w."""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from kubernetes.client.rest import ApiException

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


@contextmanager
def watching(twin: TwinProcess, *args: str) -> Iterator[list[str]]:
    """kubectl running `args` (a watch) until the block ends; yields the lines it has printed so far, read on a
    thread (tests wait on kubectl's output, never a fixed sleep)."""
    assert KUBECTL is not None
    proc = subprocess.Popen([KUBECTL, "--kubeconfig", str(twin.kubeconfig), *args], stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        yield lines
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        reader.join(timeout=10)


def _rows(lines: list[str]) -> list[list[str]]:
    return [line.split() for line in list(lines)]


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
    with pytest.raises(ApiException) as gone:  # kubectl delete waits until the object is gone (--wait, the default)
        k8s.get_app("spark-team-a", "kubectl-pi")
    assert gone.value.status == 404
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
    run = uuid.uuid4().hex[:10]
    args = ["get", "sparkapplications", "-n", "spark-team-b", "-w", "-l", f"benchkit.io/run-id={run}"]
    with watching(twin, *args) as lines:
        wait_until(lambda: twin.admin("GET", "stats")["watchers"]["sparkapplications"] >= 1, what="kubectl's watch")
        k8s.create_app("spark-team-b", app("kw-1", run, seconds=0.2))
        wait_until(lambda: state(k8s.get_app("spark-team-b", "kw-1")) == "COMPLETED", what="COMPLETED")
        row = ["kw-1", "COMPLETED"]
        wait_until(lambda: any(line.split()[:2] == row for line in list(lines)), timeout=10, what="the COMPLETED row")
    out = "".join(lines)
    assert _header(out) == ["NAME", "STATUS", "ATTEMPTS", "START", "FINISH", "AGE"]
    assert any(line.split()[:2] == ["kw-1", "COMPLETED"] for line in out.splitlines())


def test_get_configmaps_watch_prints_each_change(twin: TwinProcess, k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    ns, listed, added = "spark-team-a", f"cw-{run}-1", f"cw-{run}-2"
    labels = {"benchkit.io/run-id": run}
    k8s.core.create_namespaced_config_map(ns, {"metadata": {"name": listed, "labels": labels}, "data": {"a": "1"}})
    args = ["get", "configmaps", "-n", ns, "-l", f"benchkit.io/run-id={run}", "-w", "--output-watch-events"]
    with watching(twin, *args) as lines:
        # kubectl prints its list, then watches from the list's resourceVersion: what changes after this row is
        # printed reaches kubectl only through its watch
        wait_until(lambda: ["ADDED", listed, "1"] in [r[:3] for r in _rows(lines)], what="the listed configmap")
        k8s.core.patch_namespaced_config_map(listed, ns, {"data": {"b": "2"}})
        k8s.core.create_namespaced_config_map(ns, {"metadata": {"name": added, "labels": labels}})
        k8s.core.delete_namespaced_config_map(added, ns)
        wait_until(lambda: ["DELETED", added] in [r[:2] for r in _rows(lines)], timeout=10, what="the DELETED row")
    k8s.core.delete_namespaced_config_map(listed, ns)
    assert _rows(lines)[0] == ["EVENT", "NAME", "DATA", "AGE"]
    assert [r[:3] for r in _rows(lines)[1:]] == [["ADDED", listed, "1"], ["MODIFIED", listed, "2"],
                                                  ["ADDED", added, "0"], ["DELETED", added, "0"]]  # fmt: skip


def test_get_pods_watch_prints_the_pods_of_an_app_as_they_change(twin: TwinProcess, k8s: Clients) -> None:
    run = uuid.uuid4().hex[:10]
    ns, name, marker = "spark-team-c", f"pw-{run}", f"pw-{run}-listed"
    pod = {"metadata": {"name": marker, "labels": {"benchkit.io/run-id": run}},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}  # fmt: skip
    k8s.core.create_namespaced_pod(ns, pod)
    args = ["get", "pods", "-n", ns, "-l", f"benchkit.io/run-id={run}", "-w", "--output-watch-events"]
    with watching(twin, *args) as lines:
        wait_until(lambda: marker in [r[1] for r in _rows(lines)[1:]], what="the listed pod")  # the watch starts next
        k8s.create_app(ns, app(name, run, seconds=0.2))
        done = ["MODIFIED", f"{name}-driver", "0/1", "Completed"]
        wait_until(lambda: done in [r[:4] for r in _rows(lines)], timeout=20, what="the driver's Completed row")
        wait_until(lambda: ["DELETED", f"{name}-exec-1"] in [r[:2] for r in _rows(lines)], timeout=10,
                   what="the executor's DELETED row")  # fmt: skip
    k8s.core.delete_namespaced_pod(marker, ns)
    assert _rows(lines)[0] == ["EVENT", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    driver = [r[:4] for r in _rows(lines) if r[1] == f"{name}-driver"]
    assert driver[0] == ["ADDED", f"{name}-driver", "0/1", "Pending"]
    assert ["MODIFIED", f"{name}-driver", "1/1", "Running"] in driver
    executor = [r[:4] for r in _rows(lines) if r[1] == f"{name}-exec-1"]
    assert executor[0][:2] == ["ADDED", f"{name}-exec-1"]
    assert ["MODIFIED", f"{name}-exec-1", "1/1", "Running"] in executor
