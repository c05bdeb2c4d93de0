"""What the model reads from a SparkApplication (pod shapes with spark-submit's requests, run length, TTL,
the `twin.benchkit.io/fail` annotation), and the model's record of each app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchkit.twin.model.quantity import MIB, cpu_millis, spark_mib

FAIL_ANNOTATION = "twin.benchkit.io/fail"
"""`submission`: spark-submit fails (SUBMISSION_FAILED → FAILED); `driver`: the driver exits 1 (FAILING → FAILED)."""
FAIL_MODES = ("submission", "driver")

Toleration = tuple[str, str, str, str]  # key, operator, value, effect


@dataclass(frozen=True)
class PodShape:
    """What the scheduler needs; equal shapes are interchangeable for placement."""

    cpu_m: int
    memory: int
    node_selector: tuple[tuple[str, str], ...]
    tolerations: tuple[Toleration, ...]

    def tolerates(self, taints: Sequence[tuple[str | None, str, str]]) -> bool:
        return all(
            any(_tolerates(t, taint) for t in self.tolerations) for taint in taints if taint[2] != "PreferNoSchedule"
        )


def _tolerates(tol: Toleration, taint: tuple[str | None, str, str]) -> bool:
    key, op, value, effect = tol
    t_key, t_value, t_effect = taint
    if effect and effect != t_effect:
        return False
    if not key:
        return op == "Exists"
    return key == t_key and (op == "Exists" or value == t_value)


@dataclass(frozen=True)
class AppSpec:
    namespace: str
    name: str
    uid: str
    labels: dict[str, str]
    driver: PodShape
    executor: PodShape
    instances: int
    run_seconds: float
    ttl: float | None
    fail: str | None
    executor_prefix: str
    delete_executors: bool
    image: str
    driver_labels: dict[str, str]
    executor_labels: dict[str, str]
    service_account: str


def parse_app(obj: dict[str, Any], default_seconds: float) -> AppSpec:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    driver = spec.get("driver") or {}
    executor = spec.get("executor") or {}
    name, namespace = str(meta.get("name", "")), str(meta.get("namespace") or "default")
    factor = _overhead_factor(spec)
    instances = int(executor["instances"]) if executor.get("instances") is not None else 1
    executor_cores = int(executor.get("cores") or 1)
    conf = {str(k): str(v) for k, v in (spec.get("sparkConf") or {}).items()}
    fail = str((meta.get("annotations") or {}).get(FAIL_ANNOTATION, "")) or None
    ttl = spec.get("timeToLiveSeconds")
    return AppSpec(
        namespace=namespace,
        name=name,
        uid=str(meta.get("uid") or f"twin-{namespace}-{name}"),
        labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        driver=_shape(spec, driver, factor),
        executor=_shape(spec, executor, factor),
        instances=max(instances, 0),
        run_seconds=_run_seconds(spec.get("arguments"), instances * executor_cores, default_seconds),
        ttl=float(ttl) if ttl is not None else None,
        fail=fail if fail in FAIL_MODES else None,
        executor_prefix=conf.get("spark.kubernetes.executor.podNamePrefix") or name,
        delete_executors=executor.get("deleteOnTermination", True) is not False,
        image=str(driver.get("image") or spec.get("image") or "spark:3.5.3"),
        driver_labels={str(k): str(v) for k, v in (driver.get("labels") or {}).items()},
        executor_labels={str(k): str(v) for k, v in (executor.get("labels") or {}).items()},
        service_account=str(driver.get("serviceAccount") or "default"),
    )


def _overhead_factor(spec: dict[str, Any]) -> float:
    if spec.get("memoryOverheadFactor"):
        try:
            return float(spec["memoryOverheadFactor"])
        except ValueError:
            pass
    return 0.4 if spec.get("type") in ("Python", "R") else 0.1


def _shape(spec: dict[str, Any], role: dict[str, Any], factor: float) -> PodShape:
    cpu = role.get("coreRequest") or role.get("cores") or 1
    memory_mib = spark_mib(role.get("memory") or "1g")
    if role.get("memoryOverhead") is not None:
        overhead_mib = spark_mib(role["memoryOverhead"])
    else:
        overhead_mib = max(int(memory_mib * factor), 384)
    selector = {**(spec.get("nodeSelector") or {}), **(role.get("nodeSelector") or {})}
    tolerations = tuple(
        (
            str(t.get("key") or ""),
            str(t.get("operator") or "Equal"),
            str(t.get("value") or ""),
            str(t.get("effect") or ""),
        )
        for t in (role.get("tolerations") or [])
    )
    return PodShape(
        cpu_m=cpu_millis(cpu),
        memory=(memory_mib + overhead_mib) * MIB,
        node_selector=tuple(sorted((str(k), str(v)) for k, v in selector.items())),
        tolerations=tolerations,
    )


def _run_seconds(arguments: Any, executor_slots: int, default: float) -> float:
    """pi-sleep: arguments [slices, seconds]; each task sleeps `seconds`, tasks run in waves over the slots."""
    if not isinstance(arguments, list) or len(arguments) < 2:
        return default
    try:
        slices, seconds = int(str(arguments[0])), float(str(arguments[1]))
    except ValueError:
        return default
    waves = math.ceil(slices / executor_slots) if executor_slots > 0 and slices > 0 else 1
    return max(seconds, 0.0) * waves


class App:
    """The model's record of one SparkApplication (keyed by namespace/name; a re-created app is a new record)."""

    __slots__ = (
        "alive",
        "attempt_start",
        "created_at",
        "driver",
        "executors",
        "job_done",
        "job_started",
        "key",
        "labels",
        "spark_app_id",
        "spec",
        "state",
        "status",
        "submission_id",
        "submitted_at",
        "termination",
    )

    def __init__(self, spec: AppSpec, now: float, metric_labels: tuple[tuple[str, str], ...]) -> None:
        self.spec = spec
        self.key = (spec.namespace, spec.name)
        self.labels = metric_labels
        self.created_at = now
        self.alive = True
        self.state = ""  # New
        self.status: dict[str, Any] = {}
        self.attempt_start = 0.0
        self.submitted_at = 0.0
        self.termination = 0.0
        self.driver: Any = None  # pods.Pod once spark-submit created it
        self.executors: list[Any] = []
        self.job_started = False
        self.job_done = False
        self.submission_id = ""
        self.spark_app_id = ""
