"""Helpers for driving the model on a virtual clock in tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchkit.twin.model.interface import Change, TwinModel

BENCH_SELECTOR = {"NodeGroupType": "spark-operator-benchmark-ng"}
BENCH_TOLERATION = {"key": "spark-operator-benchmark-ng", "operator": "Exists", "effect": "NoSchedule"}


def make_app(
    name: str,
    namespace: str = "spark-team-a",
    *,
    seconds: float = 2,
    instances: int = 5,
    ttl: int | None = None,
    fail: str | None = None,
    labels: dict[str, str] | None = None,
    core_request: str = "0.1",
    driver_memory: str = "512m",
    executor_memory: str = "256m",
    selector: dict[str, str] | None = BENCH_SELECTOR,
    tolerations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A SparkApplication shaped like the benchmark template (anchor §2.1)."""
    tolerations = [BENCH_TOLERATION] if tolerations is None else tolerations
    role = {"cores": 1, "coreRequest": core_request, "memoryOverhead": "0m", "tolerations": tolerations}
    if selector is not None:
        role["nodeSelector"] = dict(selector)
    spec: dict[str, Any] = {
        "type": "Scala",
        "mode": "cluster",
        "sparkVersion": "3.5.3",
        "image": "public.ecr.aws/data-on-eks/spark:pi-sleep-v0.0.2",
        "mainClass": "org.example.JavaSparkPiSleep",
        "mainApplicationFile": "local:///opt/spark/examples/jars/spark-pi-sleep.jar",
        "arguments": [str(max(instances, 1)), str(seconds)],
        "sparkConf": {"spark.kubernetes.executor.podNamePrefix": name},
        "restartPolicy": {"type": "Never"},
        "driver": {**role, "memory": driver_memory, "serviceAccount": namespace},
        "executor": {**role, "memory": executor_memory, "instances": instances},
    }
    if ttl is not None:
        spec["timeToLiveSeconds"] = ttl
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}"}
    meta["labels"] = {"benchkit.io/run-id": "run-1", **(labels or {})}
    if fail:
        meta["annotations"] = {"twin.benchkit.io/fail": fail}
    return {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "metadata": meta, "spec": spec}


@dataclass
class Log:
    """Every change with the virtual time it happened at."""

    entries: list[tuple[float, Change]] = field(default_factory=list)

    def add(self, t: float, changes: list[Change]) -> None:
        self.entries.extend((t, c) for c in changes)

    def of(self, kind: type) -> list[tuple[float, Any]]:
        return [(t, c) for t, c in self.entries if isinstance(c, kind)]


def create(model: TwinModel, log: Log, app: dict[str, Any], t: float) -> None:
    """Create an app, keeping the changes the model made while catching up to t."""
    log.add(t, model.app_created(app, t))


def run(model: TwinModel, log: Log, until: float | None = None, max_events: int = 10_000_000) -> float:
    """Advance event by event until idle (or `until`); returns the last time reached."""
    last = 0.0
    for _ in range(max_events):
        t = model.next_event_time()
        if t is None or (until is not None and t > until):
            break
        log.add(t, model.advance(t))
        last = t
    if until is not None:
        log.add(until, model.advance(until))
        last = until
    return last
