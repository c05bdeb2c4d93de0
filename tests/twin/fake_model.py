"""A tiny TwinModel test double: for server tests that must not depend on the real model's timing."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

from benchkit.twin.model.interface import (
    AppDeleted,
    AppStatus,
    Change,
    ModelMetrics,
    NodeAdded,
    PodCreated,
    PodDeleted,
    PodUpdated,
)


class FakeModel:
    def __init__(self, nodes: int = 2, submit_after: float = 0.05, ttl: float | None = None) -> None:
        self.nodes = nodes
        self.submit_after = submit_after
        self.ttl = ttl
        self.queue: list[tuple[float, int, Callable[[float], list[Change]]]] = []
        self.seq = itertools.count()
        self.pods: dict[tuple[str, str], list[str]] = {}
        self.created = 0

    def _at(self, t: float, fn: Callable[[float], list[Change]]) -> None:
        heapq.heappush(self.queue, (t, next(self.seq), fn))

    def initial_changes(self, now: float) -> list[Change]:
        return [NodeAdded(_node(f"ip-10-0-0-{i}")) for i in range(self.nodes)]

    def app_created(self, app: dict[str, Any], now: float) -> list[Change]:
        self.created += 1
        ns, name = app["metadata"]["namespace"], app["metadata"]["name"]
        labels = dict(app["metadata"].get("labels") or {})
        args = (app.get("spec") or {}).get("arguments") or []
        duration = float(args[1]) if len(args) > 1 else 0.2
        key = (ns, name)
        self.pods[key] = []

        def submit(t: float) -> list[Change]:
            if key not in self.pods:
                return []
            pod = f"{name}-driver"
            self.pods[key].append(pod)
            self._at(t + 0.05, run)
            pod_labels = {**labels, "sparkoperator.k8s.io/app-name": name, "spark-role": "driver"}
            return [
                AppStatus(ns, name, _status("SUBMITTED", t, pod)),
                PodCreated({"metadata": {"name": pod, "namespace": ns, "labels": pod_labels},
                            "spec": {"containers": [{"name": "spark-kubernetes-driver", "image": "spark"}]},
                            "status": {"phase": "Pending"}}),
            ]  # fmt: skip

        def run(t: float) -> list[Change]:
            if key not in self.pods:
                return []
            self._at(t + duration, finish)
            return [PodUpdated(ns, f"{name}-driver", {"phase": "Running"}, "ip-10-0-0-0"),
                    AppStatus(ns, name, _status("RUNNING", t, f"{name}-driver"))]  # fmt: skip

        def finish(t: float) -> list[Change]:
            if key not in self.pods:
                return []
            if self.ttl is not None:
                self._at(t + self.ttl, lambda _t: [AppDeleted(ns, name), *self._drop(key)])
            done = {**_status("COMPLETED", t, f"{name}-driver"), "terminationTime": "2026-01-01T00:00:01Z"}
            return [PodUpdated(ns, f"{name}-driver", {"phase": "Succeeded"}), AppStatus(ns, name, done)]

        self._at(now + self.submit_after, submit)
        return []

    def _drop(self, key: tuple[str, str]) -> list[Change]:
        return [PodDeleted(key[0], p) for p in self.pods.pop(key, [])]

    def app_deleted(self, namespace: str, name: str, now: float) -> list[Change]:
        return self._drop((namespace, name))

    def pod_deleted(self, namespace: str, name: str, now: float) -> list[Change]:
        return []

    def scale_node_group(self, group: str, count: int, now: float) -> list[Change]:
        if group != "bench":
            raise ValueError(f"unknown node group {group}")
        return [NodeAdded(_node(f"ip-10-1-0-{i}")) for i in range(count)]

    def next_event_time(self) -> float | None:
        return self.queue[0][0] if self.queue else None

    def advance(self, now: float) -> list[Change]:
        out: list[Change] = []
        while self.queue and self.queue[0][0] <= now:
            t, _, fn = heapq.heappop(self.queue)
            out.extend(fn(t))
        return out

    def metrics(self, now: float) -> ModelMetrics:
        return ModelMetrics(counters={"spark_application_count": {(("namespace", "default"),): float(self.created)}},
                            gauges={}, histograms={})  # fmt: skip


def _status(state: str, t: float, pod: str) -> dict[str, Any]:
    return {"applicationState": {"state": state}, "driverInfo": {"podName": pod}, "executionAttempts": 1,
            "lastSubmissionAttemptTime": "2026-01-01T00:00:00Z"}  # fmt: skip


def _node(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"eks.amazonaws.com/nodegroup": "bench"}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "nodeInfo": dict.fromkeys(_NODE_INFO, "v1.32.0")}}  # fmt: skip


_NODE_INFO = ("architecture", "bootID", "containerRuntimeVersion", "kernelVersion", "kubeProxyVersion",
              "kubeletVersion", "machineID", "operatingSystem", "osImage", "systemUUID")  # fmt: skip


def factory(profile: str, *, nodes: int, max_pods: int, operator_workers: int | None = None,
            operator_cpus: float | None = None, seed: int = 0) -> FakeModel:  # fmt: skip
    return FakeModel(nodes=min(nodes, 3))
