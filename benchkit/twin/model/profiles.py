"""Timing and cost profiles of the modelled operator and cluster: `fast` (tests, demo) and `paper`.

`paper` is calibrated to the published Kubeflow Spark Operator benchmark (operator v2.1.0 on a 36-vCPU
c5.9xlarge): 10 workers ≈ 130 apps/min using ~25 cores, 20 workers ≈ 140–155 apps/min using ~35 cores.
How each number was derived is in README.md next to this file; `tests/twin_model/test_calibration.py`
checks the result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    operator_workers: int
    """controller.workers (MaxConcurrentReconciles)."""
    operator_cpus: float
    """Cores the controller can use."""
    submit_cpu_seconds: float
    """CPU-seconds of one JVM spark-submit (useful work, before oversubscription overhead)."""
    submit_parallelism: float
    """Cores one spark-submit JVM keeps busy at most (main, JIT and GC threads)."""
    submit_latency: float
    """Seconds of a submission spent waiting on the API server (pod, ConfigMap, Service, status write)."""
    oversubscription_penalty: float
    """Extra CPU per unit of work per unit of oversubscription (demand/cores - 1): thrashing."""
    reconcile_cpu_seconds: float
    """CPU-seconds of one reconcile that does not submit (cached GET, state handler)."""
    status_write_latency: float
    """Seconds of one status-subresource update round trip."""
    jitter: float
    """Relative spread (uniform ±) applied to every duration, drawn from the seeded RNG."""
    scheduler_latency: float
    """Pod created → bound, when a node fits."""
    container_start: float
    """Pod bound → container running (sandbox, CNI, cached image)."""
    driver_startup: float
    """Driver container running → first executor pods requested (JVM + SparkContext)."""
    executor_batch_size: int
    """spark.kubernetes.allocation.batch.size."""
    executor_batch_delay: float
    """spark.kubernetes.allocation.batch.delay, seconds."""
    executor_startup: float
    """Executor container running → it runs tasks (JVM start, registration)."""
    driver_shutdown: float
    """Last task done → driver container exits (SparkContext.stop)."""
    executor_delete_delay: float
    """Executor exited → pod deleted by the driver (spark.kubernetes.executor.deleteOnTermination)."""
    default_app_seconds: float
    """Task sleep when the app has no second argument."""
    node_ready: float
    """A new node: joined (NotReady) → Ready."""
    driver_pod_grace: float = 10.0
    """driverPodCreationGracePeriod: a missing driver pod fails the app after this."""

    def with_operator(self, workers: int | None, cpus: float | None) -> Profile:
        return replace(
            self,
            operator_workers=self.operator_workers if workers is None else workers,
            operator_cpus=self.operator_cpus if cpus is None else cpus,
        )


FAST = Profile(
    name="fast",
    operator_workers=10,
    operator_cpus=8.0,
    submit_cpu_seconds=0.03,
    submit_parallelism=1.0,
    submit_latency=0.05,
    oversubscription_penalty=0.0,
    reconcile_cpu_seconds=0.0005,
    status_write_latency=0.002,
    jitter=0.1,
    scheduler_latency=0.005,
    container_start=0.1,
    driver_startup=0.2,
    executor_batch_size=5,
    executor_batch_delay=0.05,
    executor_startup=0.1,
    driver_shutdown=0.1,
    executor_delete_delay=0.05,
    default_app_seconds=2.0,
    node_ready=0.5,
)

PAPER = Profile(
    name="paper",
    operator_workers=10,
    operator_cpus=36.0,
    submit_cpu_seconds=11.5,
    submit_parallelism=3.0,
    submit_latency=0.8,
    oversubscription_penalty=0.55,
    reconcile_cpu_seconds=0.01,
    status_write_latency=0.03,
    jitter=0.2,
    scheduler_latency=0.05,
    container_start=3.0,
    driver_startup=8.0,
    executor_batch_size=5,
    executor_batch_delay=1.0,
    executor_startup=5.0,
    driver_shutdown=2.0,
    executor_delete_delay=1.0,
    default_app_seconds=5.0,
    node_ready=60.0,
)

PROFILES = {p.name: p for p in (FAST, PAPER)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown twin profile {name!r} (expected one of: {', '.join(PROFILES)})") from None
