"""--state-dir: a restarted twin on the same port keeps its objects, versions, CA and token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil

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
