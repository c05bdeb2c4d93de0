"""Kubelet and Spark inside the pods: containers start, the driver requests executors in batches, the
tasks sleep, executors exit and are deleted by the driver, the driver exits (1 with `fail: driver`)."""

from __future__ import annotations

from collections.abc import Callable

from benchkit.twin.model.apps import App
from benchkit.twin.model.cluster import Cluster
from benchkit.twin.model.context import Ctx
from benchkit.twin.model.interface import PodCreated, PodDeleted, PodUpdated
from benchkit.twin.model.metrics import EXECUTOR_FAILURE, EXECUTOR_RUNNING, EXECUTOR_SUCCESS, OperatorMetrics
from benchkit.twin.model.nodes import Node
from benchkit.twin.model.pods import RUNNING, SUCCEEDED, Pod, pod_object, running_status, terminated_status
from benchkit.twin.model.webhook import AdmissionWebhook


class SparkRuntime:
    def __init__(self, ctx: Ctx, cluster: Cluster, metrics: OperatorMetrics, webhook: AdmissionWebhook) -> None:
        self._ctx = ctx
        self.webhook = webhook  # every pod CREATE passes its admission (a straight call when it is off)
        self._cluster = cluster
        self._metrics = metrics
        self.pods: dict[tuple[str, str], Pod] = {}
        self._seq = 0
        self.on_pod_event: Callable[[Pod], None] = lambda pod: None  # the operator's pod informer
        cluster.pods_on = self._pods_on
        cluster.evict = self.delete_pod

    # -- creation -------------------------------------------------------------------------------------------
    def create_driver(self, app: App) -> Pod:
        pod = self._create(app, "driver", f"{app.spec.name}-driver", 0)
        app.driver = pod
        return pod

    def _create(self, app: App, role: str, name: str, index: int) -> Pod:
        self._seq += 1
        pod = Pod(app, role, name, index, seq=self._seq, now=self._ctx.now)
        old = self.pods.get(pod.key)
        if old is not None:  # a leftover of an earlier app of the same name: spark-submit replaces it
            self.delete_pod(old)
        self.pods[pod.key] = pod
        self._ctx.out.append(PodCreated(pod_object(pod, app.spark_app_id, app.submission_id)))
        self._cluster.scheduler.submit(pod)
        self.on_pod_event(pod)
        return pod

    def on_bound(self, pod: Pod) -> None:
        self._ctx.events.after(self._ctx.jitter(self._ctx.profile.container_start), self._started, pod)

    def _started(self, pod: Pod, now: float) -> None:
        if not pod.alive:
            return
        pod.phase = RUNNING
        pod.started_at = now
        self._ctx.out.append(PodUpdated(pod.namespace, pod.name, running_status(pod, self._ctx.ts)))
        self.on_pod_event(pod)
        app, profile = pod.app, self._ctx.profile
        if pod.role == "driver":
            self._ctx.events.after(self._ctx.jitter(profile.driver_startup), self._request_executors, app)
            return
        self._metrics.gauge_add(EXECUTOR_RUNNING, app.labels, 1)
        if not app.job_started:  # tasks start on the first registered executor
            app.job_started = True
            delay = self._ctx.jitter(profile.executor_startup) + app.spec.run_seconds
            self._ctx.events.after(delay, self._job_done, app)

    def _request_executors(self, app: App, now: float) -> None:
        if not self._driver_running(app):
            return
        if app.spec.instances == 0:
            app.job_started = True
            self._ctx.events.after(app.spec.run_seconds, self._job_done, app)
            return
        profile = self._ctx.profile
        size = max(profile.executor_batch_size, 1)
        for first in range(0, app.spec.instances, size):
            count = min(size, app.spec.instances - first)
            self._ctx.events.after(
                (first // size) * profile.executor_batch_delay, self._executor_batch, (app, first, count)
            )

    def _executor_batch(self, batch: tuple[App, int, int], now: float) -> None:
        app, first, count = batch
        if not self._driver_running(app) or app.job_done:
            return
        for index in range(first + 1, first + count + 1):
            self.webhook.admit(self._executor_admitted, (app, index))

    def _executor_admitted(self, item: tuple[App, int], now: float) -> None:
        app, index = item
        if not self._driver_running(app) or app.job_done:
            return
        app.executors.append(self._create(app, "executor", f"{app.spec.executor_prefix}-exec-{index}", index))

    @staticmethod
    def _driver_running(app: App) -> bool:
        driver = app.driver
        return bool(app.alive and driver is not None and driver.alive and driver.phase == RUNNING)

    # -- the end of a job -----------------------------------------------------------------------------------
    def _job_done(self, app: App, now: float) -> None:
        if not self._driver_running(app) or app.job_done:
            return
        app.job_done = True
        profile = self._ctx.profile
        for pod in app.executors:
            if not pod.alive:
                continue
            if pod.phase == RUNNING:
                self._terminate(pod, 0)
                if app.spec.delete_executors:
                    self._ctx.events.after(self._ctx.jitter(profile.executor_delete_delay), self._delete_later, pod)
            else:  # never started: the driver deletes the request
                self.delete_pod(pod)
        self._ctx.events.after(self._ctx.jitter(profile.driver_shutdown), self._driver_exit, app)

    def _driver_exit(self, app: App, now: float) -> None:
        if self._driver_running(app):
            self._terminate(app.driver, 1 if app.spec.fail == "driver" else 0)

    def _terminate(self, pod: Pod, exit_code: int) -> None:
        was_running = pod.phase == RUNNING
        pod.exit_code = exit_code
        pod.finished_at = self._ctx.now
        pod.phase = SUCCEEDED if exit_code == 0 else "Failed"
        self._ctx.out.append(PodUpdated(pod.namespace, pod.name, terminated_status(pod, self._ctx.ts)))
        self._cluster.scheduler.release(pod)
        if pod.role == "executor":
            labels = pod.app.labels
            if was_running:
                self._metrics.gauge_add(EXECUTOR_RUNNING, labels, -1)
            self._metrics.inc(EXECUTOR_SUCCESS if exit_code == 0 else EXECUTOR_FAILURE, labels)
        self.on_pod_event(pod)

    def _delete_later(self, pod: Pod, now: float) -> None:
        if pod.alive:
            self.delete_pod(pod)

    # -- deletion -------------------------------------------------------------------------------------------
    def delete_pod(self, pod: Pod) -> None:
        """The pod object goes away (API delete, eviction, the driver's cleanup, garbage collection)."""
        if not pod.alive:
            return
        pod.alive = False
        if self.pods.get(pod.key) is pod:
            del self.pods[pod.key]
        if pod.role == "executor" and pod.phase == RUNNING:
            self._metrics.gauge_add(EXECUTOR_RUNNING, pod.app.labels, -1)
        self._cluster.scheduler.release(pod)
        self._ctx.out.append(PodDeleted(pod.namespace, pod.name))
        if pod.app.alive:
            self.on_pod_event(pod)

    def delete_app_pods(self, app: App) -> None:
        for pod in [app.driver, *app.executors]:
            if pod is not None:
                self.delete_pod(pod)

    def _pods_on(self, node: Node) -> list[Pod]:
        return [self.pods[key] for key in sorted(node.pods) if key in self.pods]
