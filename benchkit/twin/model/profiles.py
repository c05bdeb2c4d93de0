"""Timing and cost profiles: `fast` (tests) and `paper` (`make demo`; calibrated to the published Kubeflow
benchmark; the derivation is in README.md, the check in tests/twin_model/test_calibration.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    operator_workers: int
    """controller.workers (MaxConcurrentReconciles)."""
    operator_cpus: float
    """vCPUs the controller can use."""
    threads_per_core: int
    """SMT threads per physical core of the operator node (2 on c5: 36 vCPUs are 18 cores)."""
    smt_gain: float
    """Throughput a vCPU adds when its core's sibling thread is busy too (fraction of a core)."""
    submit_cpu_seconds: float
    """Work of one JVM spark-submit, in seconds of an uncontended physical core."""
    submit_parallelism: float
    """vCPUs one spark-submit JVM keeps busy at most (main, JIT and GC threads)."""
    submit_latency: float
    """Seconds of a submission spent waiting on the API server (pod, ConfigMap, Service, status write)."""
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
    api_qps: float = 20.0
    """controller.kubeAPIQPS (chart default 20): the operator's status writes and deletes share it; 0 = unlimited."""
    api_burst: int = 30
    """controller.kubeAPIBurst (chart default 30)."""
    workqueue_qps: float = 50.0
    """controller.workqueueRateLimiter.bucketQPS: every event the operator enqueues takes a token; 0 turns the
    work-queue rate limiter off. Chart 2.1.0 sets 50 (third_party/upstream/spark-operator-chart-2.1.0/values.yaml,
    `controller.workqueueRateLimiter`), overriding the binary's flag default of 10."""
    workqueue_burst: int = 500
    """controller.workqueueRateLimiter.bucketSize: chart 2.1.0 sets 500 (the binary's flag default is 100)."""
    driver_pod_grace: float = 10.0
    """driverPodCreationGracePeriod: a missing driver pod fails the app after this."""
    webhook_service_seconds: float = 0.0
    """One pod CREATE admission call to the operator's mutating webhook (webhook.py), when the webhook is on."""
    webhook_concurrency: int = 1
    """Admission calls the webhook answers at once; more wait in FIFO order."""

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
    threads_per_core=1,
    smt_gain=1.0,
    submit_cpu_seconds=0.03,
    submit_parallelism=1.0,
    submit_latency=0.05,
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
    api_qps=0.0,
    workqueue_qps=0.0,
    webhook_service_seconds=0.002,
    webhook_concurrency=10,
)

PAPER = Profile(
    name="paper",
    operator_workers=10,
    operator_cpus=36.0,
    threads_per_core=2,
    smt_gain=0.25,
    submit_cpu_seconds=9.15,
    submit_parallelism=3.0,
    submit_latency=0.15,  # 0.8 before the webhook was modelled: its driver-pod admission (~0.65 s) was in it
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
    webhook_service_seconds=0.65,  # calibrated: docs/twin-model.md "The webhook"
    webhook_concurrency=16,
)

PROFILES = {p.name: p for p in (FAST, PAPER)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown twin profile {name!r} (expected one of: {', '.join(PROFILES)})") from None
