"""`Model`: the twin's operator + cluster, driven through the `TwinModel` protocol (see interface.py)."""

from __future__ import annotations

from benchkit.twin.model.apps import App, parse_app
from benchkit.twin.model.cluster import Cluster
from benchkit.twin.model.context import Ctx
from benchkit.twin.model.interface import Change, Histogram, ModelMetrics, Obj
from benchkit.twin.model.metrics import (
    CONTAINER_REQUESTS,
    CONTROLLER_LABELS,
    CPU_LABELS,
    OPERATOR_CPU,
    PROCESS_CPU,
    QUEUE_LABELS,
    OperatorMetrics,
    app_labels,
    operator_cpu_request,
)
from benchkit.twin.model.nodes import default_groups
from benchkit.twin.model.operator import SparkOperator
from benchkit.twin.model.pods import Pod
from benchkit.twin.model.profiles import Profile
from benchkit.twin.model.runtime import SparkRuntime
from benchkit.twin.model.webhook import ADMISSION_DURATION, ADMISSION_LABELS, AdmissionWebhook


class Model:
    """Implements `interface.TwinModel`. Build it with `benchkit.twin.model.build_model`."""

    def __init__(self, profile: Profile, *, nodes: int, max_pods: int, seed: int = 0,
                 bench_instance_type: str | None = None, webhook: bool = True) -> None:  # fmt: skip
        if nodes < 0:
            raise ValueError(f"nodes must be >= 0, got {nodes}")
        if max_pods < 1:
            raise ValueError(f"max_pods must be >= 1, got {max_pods}")
        self.profile = profile
        self._ctx = Ctx(profile, seed)
        self._bench_nodes = nodes
        self._started = False
        self.app_metrics = OperatorMetrics()
        self.cluster = Cluster(self._ctx, default_groups(max_pods, bench_instance_type), self._on_bound)
        self.webhook = AdmissionWebhook(self._ctx, enabled=webhook, service_seconds=profile.webhook_service_seconds,
                                        concurrency=profile.webhook_concurrency)  # fmt: skip
        self.runtime = SparkRuntime(self._ctx, self.cluster, self.app_metrics, self.webhook)
        self.operator = SparkOperator(self._ctx, self.runtime, self.app_metrics)

    @property
    def now(self) -> float:
        """The model's clock: the time of the last event processed or the latest `now` given."""
        return self._ctx.now

    def _on_bound(self, pod: Pod) -> None:
        self.runtime.on_bound(pod)

    # -- TwinModel ------------------------------------------------------------------------------------------
    def initial_changes(self, now: float) -> list[Change]:
        if self._started:
            return []
        self._started = True
        self._ctx.events.now = now
        self.cluster.start(self._bench_nodes)
        return self._flush()

    def app_created(self, app: Obj, now: float) -> list[Change]:
        self._catch_up(now)
        spec = parse_app(app, self.profile.default_app_seconds, webhook=self.webhook.enabled)
        self.operator.add(App(spec, now, app_labels(spec.labels, spec.namespace)))
        return self._flush()

    def app_replayed(self, app: Obj, now: float) -> None:
        self._catch_up(now)
        spec = parse_app(app, self.profile.default_app_seconds)
        state = ((app.get("status") or {}).get("applicationState") or {}).get("state") or ""
        self.app_metrics.app_replayed(app_labels(spec.labels, spec.namespace), state)

    def app_deleted(self, namespace: str, name: str, now: float) -> list[Change]:
        self._catch_up(now)
        app = self.operator.apps.get((namespace, name))
        if app is not None:
            self.operator.remove(app)
        return self._flush()

    def pod_deleted(self, namespace: str, name: str, now: float) -> list[Change]:
        self._catch_up(now)
        pod = self.runtime.pods.get((namespace, name))
        if pod is not None:
            self.runtime.delete_pod(pod)
        return self._flush()

    def scale_node_group(self, group: str, count: int, now: float) -> list[Change]:
        self._catch_up(now)
        self.cluster.scale(group, count)
        return self._flush()

    def next_event_time(self) -> float | None:
        return self._ctx.events.next_time()

    def advance(self, now: float) -> list[Change]:
        self._catch_up(now)
        return self._flush()

    def metrics(self, now: float) -> ModelMetrics:
        snap = self.app_metrics.snapshot()
        op = self.operator
        queue = op.queue
        unfinished, longest = queue.unfinished(max(now, self._ctx.now))
        snap.gauges.update(
            {
                "workqueue_depth": {QUEUE_LABELS: float(len(queue))},
                "workqueue_unfinished_work_seconds": {QUEUE_LABELS: unfinished},
                "workqueue_longest_running_processor_seconds": {QUEUE_LABELS: longest},
                "controller_runtime_active_workers": {CONTROLLER_LABELS: float(op.workers - op.idle)},
                "controller_runtime_max_concurrent_reconciles": {CONTROLLER_LABELS: float(op.workers)},
                CONTAINER_REQUESTS: operator_cpu_request(op.cpu.vcpus, self._operator_node()),
            }
        )
        cpu_seconds = op.cpu.cpu_seconds_at(max(now, self._ctx.now))
        snap.counters.update(
            {
                "workqueue_adds_total": {QUEUE_LABELS: float(queue.adds_total)},
                "workqueue_retries_total": {QUEUE_LABELS: float(queue.retries_total)},
                "controller_runtime_reconcile_total": {
                    (*CONTROLLER_LABELS, ("result", "success")): float(op.reconciles)
                },
                OPERATOR_CPU: {CPU_LABELS: cpu_seconds},
                PROCESS_CPU: {(): cpu_seconds},  # the same account, as the operator process exports it
            }
        )
        hists: dict[str, dict[tuple[tuple[str, str], ...], Histogram]] = {
            "workqueue_queue_duration_seconds": {QUEUE_LABELS: queue.queue_duration.snapshot()},
            "workqueue_work_duration_seconds": {QUEUE_LABELS: queue.work_duration.snapshot()},
        }
        snap.histograms.update(hists)
        if self.webhook.enabled:  # kube-apiserver's series, present only while the webhook is configured
            snap.histograms[ADMISSION_DURATION] = {ADMISSION_LABELS: self.webhook.durations.snapshot()}
        return snap

    # -- internals ------------------------------------------------------------------------------------------
    def _operator_node(self) -> str:
        """The node the operator pod runs on: the operator group's first (the chart runs one replica there)."""
        nodes = self.cluster.by_group.get("operator") or []
        return nodes[0].name if nodes else ""

    def _catch_up(self, now: float) -> None:
        if not self._started:
            self.initial_changes(now)
        self._ctx.events.run_until(now)

    def _flush(self) -> list[Change]:
        out = self._ctx.out
        self._ctx.out = []
        return out
