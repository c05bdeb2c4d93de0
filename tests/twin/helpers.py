"""Helpers for twin tests: clients built the way benchkit builds them, app bodies, polling."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kubernetes import client

from benchkit.kube.connect import connect
from benchkit.twin.process import TwinProcess

GROUP, VERSION, PLURAL = "sparkoperator.k8s.io", "v1beta2", "sparkapplications"
T = TypeVar("T")
_TOLERATION = {"key": "spark-operator-benchmark-ng", "operator": "Exists", "effect": "NoSchedule"}


class Clients:
    def __init__(self, twin: TwinProcess) -> None:
        self.twin = twin
        self.api = connect(twin.kubeconfig).api
        self.core = client.CoreV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)

    def create_app(self, ns: str, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self.custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, body)
        return created

    def list_apps(self, ns: str | None = None, **kwargs: Any) -> dict[str, Any]:
        if ns is None:
            return self.custom.list_cluster_custom_object(GROUP, VERSION, PLURAL, **kwargs)  # type: ignore[no-any-return]
        return self.custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, **kwargs)  # type: ignore[no-any-return]

    def get_app(self, ns: str, name: str) -> dict[str, Any]:
        return self.custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name)  # type: ignore[no-any-return]

    def delete_app(self, ns: str, name: str) -> dict[str, Any]:
        return self.custom.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name)  # type: ignore[no-any-return]


def app(name: str, run_id: str, seconds: float = 1, executors: int = 1, **labels: str) -> dict[str, Any]:
    """A SparkApplication like benchkit's pi-sleep template."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "SparkApplication",
        "metadata": {"name": name, "labels": {"benchkit.io/run-id": run_id, **labels}},
        "spec": {
            "type": "Scala",
            "mode": "cluster",
            "image": "spark:3.5.3",
            "imagePullPolicy": "IfNotPresent",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "arguments": ["1", str(seconds)],
            "sparkVersion": "3.5.3",
            "restartPolicy": {"type": "Never"},
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark", "tolerations": [_TOLERATION]},
            "executor": {"cores": 1, "instances": executors, "memory": "512m", "tolerations": [_TOLERATION]},
        },
    }  # fmt: skip


def find_kubectl() -> str | None:
    """kubectl on PATH, else the one scripts/ensure-kubectl.sh put in .tools/bin."""
    tools = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "kubectl"
    return shutil.which("kubectl") or (str(tools) if tools.is_file() else None)


def wait_until(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def state(obj: dict[str, Any]) -> str:
    return ((obj.get("status") or {}).get("applicationState") or {}).get("state") or ""
