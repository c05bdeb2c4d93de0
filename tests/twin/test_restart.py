"""--state-dir: a restarted twin on the same port keeps its objects, versions, CA and token."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
from kubernetes import client

from .conftest import make_twin
from .helpers import Clients, app, state, wait_until


def test_restart_keeps_objects_versions_and_credentials(tmp_path: Path) -> None:
    twin = make_twin(nodes=5, state_dir=tmp_path / "state", kubeconfig=tmp_path / "kubeconfig")
    with twin:
        k8s = Clients(twin)
        k8s.create_app("default", app("done-1", "restart", seconds=0.2))
        wait_until(lambda: state(k8s.get_app("default", "done-1")) == "COMPLETED", what="done-1 COMPLETED")
        k8s.create_app("default", app("long-1", "restart", seconds=60))
        wait_until(lambda: state(k8s.get_app("default", "long-1")) == "RUNNING", what="long-1 RUNNING")
        done_before = k8s.get_app("default", "done-1")
        rv_before = int(k8s.list_apps(None)["metadata"]["resourceVersion"])
        kubeconfig_before = twin.kubeconfig.read_text()
        port, history_before = twin.port, twin.admin("GET", "history")["items"]

        twin.restart()

        assert twin.port == port and twin.kubeconfig.read_text() == kubeconfig_before
        # The same client (same token, same CA) keeps working against the new process.
        done_after = k8s.get_app("default", "done-1")
        assert done_after == done_before
        assert int(k8s.list_apps(None)["metadata"]["resourceVersion"]) >= rv_before
        # The in-flight app is handed to the fresh model and runs again; its pods come back.
        pods = "sparkoperator.k8s.io/app-name=long-1"
        wait_until(lambda: k8s.core.list_namespaced_pod("default", label_selector=pods).items, what="long-1's pods")
        wait_until(lambda: state(k8s.get_app("default", "long-1")) == "RUNNING", what="long-1 RUNNING again")
        created = k8s.create_app("default", app("after-1", "restart"))
        assert int(created["metadata"]["resourceVersion"]) > rv_before
        assert twin.admin("GET", "history")["items"][: len(history_before)] == history_before
        # As on the real operator, the fresh informer lists done-1 as a create and counts it again by state
        # (kubeflow/spark-operator v2.1.0 internal/metrics/sparkapplication_metrics.go HandleSparkApplicationCreate):
        # success_count is 1 right after the restart although nothing completed since; the start time moved.
        metrics = twin.request("GET", "/metrics")[1]
        assert re.search(r'^spark_application_success_count\{app_type="Unknown"\} 1\.0$', metrics, re.MULTILINE), (
            metrics
        )
        assert re.search(r"^process_start_time_seconds ", metrics, re.MULTILINE)


def test_a_killed_twin_keeps_its_credentials(tmp_path: Path) -> None:
    twin = make_twin(nodes=2, state_dir=tmp_path / "state")
    with twin:
        token = twin.token
        twin.kill()
        twin.start()
        assert twin.token == token
        assert Clients(twin).core.list_namespace().items


def test_a_twin_stops_when_its_parent_dies(tmp_path: Path) -> None:
    """TwinProcess starts the twin with --exit-with-parent: an orchestrator killed with -9 leaves no twin behind."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from benchkit.twin.process import TwinProcess\n"
        "t = TwinProcess(nodes=1, workdir=Path(sys.argv[1])).start()\n"
        "print(t.proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    twin_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    wait_until(lambda: not psutil.pid_exists(twin_pid) or psutil.Process(twin_pid).status() == psutil.STATUS_ZOMBIE,
               timeout=20, what="the orphaned twin to stop")  # fmt: skip
    assert (tmp_path / "state" / "meta.json").exists()  # it stopped cleanly, saving its state


def test_no_acknowledged_create_is_lost_across_a_restart(tmp_path: Path) -> None:
    """Creates keep arriving while the twin restarts: every one answered 201 is there afterwards.

    The API latency keeps writes in flight when SIGTERM arrives; the twin must finish (or refuse with 503)
    every write before it saves its state, as kube-apiserver persists a write before answering it.
    """
    twin = make_twin(nodes=5, state_dir=tmp_path / "state", kubeconfig=tmp_path / "kubeconfig", api_latency_ms=300)
    acked: set[str] = set()
    refused: list[int] = []
    stop = threading.Event()

    def submitter(worker: int) -> None:
        k8s = Clients(twin)
        for i in range(10_000):
            if stop.is_set():
                return
            name, first = f"w{worker}-{i:05d}", True
            while not stop.is_set():
                try:
                    k8s.create_app("default", app(name, "restart-acks", seconds=60))
                except client.ApiException as exc:
                    if exc.status == 409 and not first:  # an earlier attempt was written, its answer lost
                        break
                    refused.append(exc.status)
                    time.sleep(0.05)
                except Exception:  # the twin is down: connection refused or reset
                    time.sleep(0.05)
                else:
                    break
                finally:
                    first = False
            else:
                return
            acked.add(name)

    with twin:
        threads = [threading.Thread(target=submitter, args=(w,), daemon=True) for w in range(8)]
        for t in threads:
            t.start()
        wait_until(lambda: len(acked) >= 40, what="40 acknowledged creates")
        twin.restart()
        n_at_restart = len(acked)
        wait_until(lambda: len(acked) >= n_at_restart + 40, what="40 more creates after the restart")
        stop.set()
        for t in threads:
            t.join(timeout=30)
        stored = {a["metadata"]["name"] for a in Clients(twin).list_apps("default")["items"]}
        assert acked - stored == set()
        assert set(refused) <= {503}  # the only refusal is "shutting down, retry"
