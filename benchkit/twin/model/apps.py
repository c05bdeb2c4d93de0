"""What the model reads from a SparkApplication (pod shapes with spark-submit's requests, run length, TTL,
the `twin.benchkit.io/fail` annotation), and the model's record of each app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    volumes: dict[str, PodVolumes] = field(default_factory=dict)
    """By role: the volumes and the container's volumeMounts its pods get."""


@dataclass(frozen=True)
class PodVolumes:
    volumes: tuple[dict[str, Any], ...]
    mounts: tuple[dict[str, Any], ...]


LOCAL_DIR_PREFIX = "spark-local-dir-"
"""Volumes named so reach the pods through spark-submit's conf, webhook or not (v2.1.0 `util.GetLocalVolumes`)."""
CONTAINER = {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}


def parse_app(obj: dict[str, Any], default_seconds: float, *, webhook: bool = True) -> AppSpec:
    """The model's view of a SparkApplication. With `webhook` False the pods get only what spark-submit's conf
    and Spark's pod templates give them: not the per-role nodeSelector, tolerations, volumes and volumeMounts
    that kubeflow/spark-operator v2.1.0 applies only in its mutating webhook
    (`internal/webhook/sparkpod_defaulter.go`: addNodeSelectors, addTolerations, addVolumes; the conf it passes
    is `internal/controller/sparkapplication/submission.go`, which carries only `spec.nodeSelector`)."""
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
        driver=_shape(spec, driver, factor, webhook),
        executor=_shape(spec, executor, factor, webhook),
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
        volumes={
            "driver": _volumes(spec, driver, "driver", webhook),
            "executor": _volumes(spec, executor, "executor", webhook),
        },
    )


def _template_spec(role: dict[str, Any]) -> dict[str, Any]:
    """`spec.<role>.template.spec`: a Spark pod template, applied by Spark itself (no webhook needed)."""
    template = role.get("template")
    pod_spec = template.get("spec") if isinstance(template, dict) else None
    return pod_spec if isinstance(pod_spec, dict) else {}


def _volumes(spec: dict[str, Any], role: dict[str, Any], name: str, webhook: bool) -> PodVolumes:
    tpl = _template_spec(role)
    containers = [c for c in tpl.get("containers") or [] if isinstance(c, dict)]
    container = next((c for c in containers if c.get("name") == CONTAINER[name]), containers[0] if containers else {})
    volumes = [v for v in tpl.get("volumes") or [] if isinstance(v, dict)]
    mounts = [m for m in container.get("volumeMounts") or [] if isinstance(m, dict)]
    declared = {str(v.get("name")): v for v in spec.get("volumes") or [] if isinstance(v, dict)}
    for mount in role.get("volumeMounts") or []:
        vol_name = str(mount.get("name", "")) if isinstance(mount, dict) else ""
        if vol_name not in declared or not (webhook or vol_name.startswith(LOCAL_DIR_PREFIX)):
            continue
        if all(v.get("name") != vol_name for v in volumes):
            volumes.append(declared[vol_name])
        mounts.append(mount)
    return PodVolumes(volumes=tuple(volumes), mounts=tuple(mounts))


def _overhead_factor(spec: dict[str, Any]) -> float:
    if spec.get("memoryOverheadFactor"):
        try:
            return float(spec["memoryOverheadFactor"])
        except ValueError:
            pass
    return 0.4 if spec.get("type") in ("Python", "R") else 0.1


def _shape(spec: dict[str, Any], role: dict[str, Any], factor: float, webhook: bool = True) -> PodShape:
    cpu = role.get("coreRequest") or role.get("cores") or 1
    memory_mib = spark_mib(role.get("memory") or "1g")
    if role.get("memoryOverhead") is not None:
        overhead_mib = spark_mib(role["memoryOverhead"])
    else:
        overhead_mib = max(int(memory_mib * factor), 384)
    tpl = _template_spec(role)
    mutated = role if webhook else {}  # the webhook's addNodeSelectors / addTolerations
    selector = {**(tpl.get("nodeSelector") or {}), **(spec.get("nodeSelector") or {}),
                **(mutated.get("nodeSelector") or {})}  # fmt: skip
    tolerations = tuple(
        (
            str(t.get("key") or ""),
            str(t.get("operator") or "Equal"),
            str(t.get("value") or ""),
            str(t.get("effect") or ""),
        )
        for t in [*(tpl.get("tolerations") or []), *(mutated.get("tolerations") or [])]
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
