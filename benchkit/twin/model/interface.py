"""The contract between the twin's model and whatever drives it (the HTTP server or the planner).

The driver tells the model what happened through the API (an app was created or deleted, a node group
was scaled) and asks it to advance to `now`; the model answers with `Change`s, which the server applies
to its object store (bumping resourceVersions and notifying watches) and the planner just counts.

    model = build_model(params, nodes=...)            # implemented in benchkit.twin.model
    changes = model.app_created(app_obj, now)         # the server has validated and stored app_obj
    ...
    t = model.next_event_time()                       # None when idle
    changes = model.advance(t)                        # everything due at or before t, in order

Objects inside changes are plain Kubernetes-shaped dicts (apiVersion/kind/metadata/spec/status). The
model sets no resourceVersion/uid/creationTimestamp on objects it creates: the store owns those; the
model owns `status` and, for pods and nodes, the whole object otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Obj = dict[str, Any]


@dataclass(frozen=True)
class AppStatus:
    """Replace the `status` of SparkApplication namespace/name (a status-subresource write)."""

    namespace: str
    name: str
    status: Obj


@dataclass(frozen=True)
class AppDeleted:
    """The operator deletes the app (timeToLiveSeconds elapsed after termination)."""

    namespace: str
    name: str


@dataclass(frozen=True)
class PodCreated:
    """The operator (spark-submit, or the driver for executors) created a pod."""

    pod: Obj


@dataclass(frozen=True)
class PodUpdated:
    """The scheduler or kubelet changed a pod: replace its `spec.nodeName` (if given) and `status`."""

    namespace: str
    name: str
    status: Obj
    node_name: str | None = None


@dataclass(frozen=True)
class PodDeleted:
    namespace: str
    name: str


@dataclass(frozen=True)
class NodeAdded:
    node: Obj


@dataclass(frozen=True)
class NodeUpdated:
    """Replace a node's `status` (Ready condition)."""

    name: str
    status: Obj


@dataclass(frozen=True)
class NodeRemoved:
    name: str


Change = AppStatus | AppDeleted | PodCreated | PodUpdated | PodDeleted | NodeAdded | NodeUpdated | NodeRemoved


class TwinModel(Protocol):
    """What the server and the planner call. All methods are synchronous and cheap; none blocks."""

    def initial_changes(self, now: float) -> list[Change]:
        """The starting nodes (NodeAdded for each), called once before anything else."""
        ...

    def app_created(self, app: Obj, now: float) -> list[Change]:
        """A SparkApplication was stored (already validated). Usually returns [] and enqueues work."""
        ...

    def app_replayed(self, app: Obj, now: float) -> None:
        """A finished app the fresh operator's informer lists on start: counted again by its stored state
        (kubeflow/spark-operator v2.1.0 internal/metrics/sparkapplication_metrics.go HandleSparkApplicationCreate)."""
        ...

    def app_deleted(self, namespace: str, name: str, now: float) -> list[Change]:
        """An app was deleted through the API: its pods go too (PodDeleted for each)."""
        ...

    def pod_deleted(self, namespace: str, name: str, now: float) -> list[Change]:
        """A pod was deleted through the API (rare; e.g. a test or a teardown)."""
        ...

    def scale_node_group(self, group: str, count: int, now: float) -> list[Change]:
        """Set the number of nodes of a group (nodes join NotReady, become Ready after a delay)."""
        ...

    def next_event_time(self) -> float | None:
        """When the model next has something to do, or None when idle."""
        ...

    def advance(self, now: float) -> list[Change]:
        """Process every internal event due at or before `now`, in time order; return the changes."""
        ...

    def metrics(self, now: float) -> ModelMetrics:
        """Operator-side metrics for /metrics (names as the real operator exports them)."""
        ...


@dataclass
class Histogram:
    """Cumulative-bucket histogram snapshot: `buckets` maps upper bound -> cumulative count (+Inf last)."""

    buckets: dict[float, int]
    count: int
    sum: float


@dataclass
class ModelMetrics:
    """A snapshot of the operator's metrics (kubeflow/spark-operator v2 names, no prefix).

    Counters by namespace: spark_application_count, spark_application_submit_count,
    spark_application_success_count, spark_application_failure_count; gauge
    spark_application_running_count; summaries spark_application_start_latency_seconds and
    spark_application_submit_latency_seconds (a Histogram without finite buckets is a Summary) and their
    _histogram (submit latency: v2.5.1+ only, the exporter drops it for older charts); controller-runtime
    workqueue_depth, workqueue_adds_total, workqueue_queue_duration_seconds, workqueue_work_duration_seconds,
    controller_runtime_active_workers, controller_runtime_max_concurrent_reconciles; the (modelled) operator's
    CPU seconds, as container_cpu_usage_seconds_total and process_cpu_seconds_total, and its container's CPU
    request as kube-state-metrics' kube_pod_container_resource_requests. Keys are metric names; values map a
    label tuple to a number or Histogram.
    """

    counters: dict[str, dict[tuple[tuple[str, str], ...], float]]
    gauges: dict[str, dict[tuple[tuple[str, str], ...], float]]
    histograms: dict[str, dict[tuple[tuple[str, str], ...], Histogram]]


class ModelFactory(Protocol):
    """`benchkit.twin.model.build_model` has this signature.

    profile: "fast" (tests: sub-second submissions) or "paper" (calibrated to the published
    Kubeflow benchmark); operator_workers / operator_cpus override the profile's; nodes is the bench
    group's starting size; max_pods the pods-per-node limit; seed makes any randomness repeatable; webhook
    says whether the operator's mutating webhook admits (and mutates) every pod CREATE.
    """

    def __call__(
        self,
        profile: str,
        *,
        nodes: int,
        max_pods: int,
        operator_workers: int | None = None,
        operator_cpus: float | None = None,
        seed: int = 0,
        webhook: bool = True,
    ) -> TwinModel: ...
