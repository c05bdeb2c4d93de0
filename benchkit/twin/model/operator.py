"""The Spark Operator's SparkApplication controller: a work queue, `workers` reconcilers, spark-submit as
CPU work on shared cores, status writes through a token bucket, TTL deletion.
"""

from __future__ import annotations

from benchkit.twin.model.apps import App
from benchkit.twin.model.context import Ctx
from benchkit.twin.model.cpu import SharedCpu
from benchkit.twin.model.interface import AppDeleted, AppStatus
from benchkit.twin.model.metrics import OperatorMetrics
from benchkit.twin.model.pods import Pod
from benchkit.twin.model.ratelimit import TokenBucket, WorkqueueRateLimiter
from benchkit.twin.model.runtime import SparkRuntime
from benchkit.twin.model.statemachine import Decision, next_status
from benchkit.twin.model.workqueue import Key, WorkQueue


class SparkOperator:
    def __init__(self, ctx: Ctx, runtime: SparkRuntime, metrics: OperatorMetrics) -> None:
        profile = ctx.profile
        if profile.operator_workers < 1:
            raise ValueError(f"operator workers must be >= 1, got {profile.operator_workers}")
        self._ctx = ctx
        self._runtime = runtime
        self.metrics = metrics
        self.queue = WorkQueue()
        self.cpu = SharedCpu(
            ctx.events, profile.operator_cpus, profile.submit_parallelism, profile.threads_per_core, profile.smt_gain
        )
        self._api = TokenBucket(profile.api_qps, profile.api_burst)
        self.limiter = (
            WorkqueueRateLimiter(profile.workqueue_qps, profile.workqueue_burst) if profile.workqueue_qps > 0 else None
        )
        self.delayed: dict[Key, float] = {}
        """Keys waiting in the delaying queue (AddAfter) until their ready time: not in workqueue_depth."""
        self.workers = profile.operator_workers
        self.idle = self.workers
        self.apps: dict[Key, App] = {}
        self.reconciles = 0
        runtime.on_pod_event = self._pod_event

    # -- informers ------------------------------------------------------------------------------------------
    def add(self, app: App) -> None:
        old = self.apps.get(app.key)
        if old is not None:
            self.remove(old)
        self.apps[app.key] = app
        self.metrics.app_transition(app.labels, "-", "NEW", None, None)
        self.enqueue_event(app.key)

    def remove(self, app: App) -> None:
        """The app object is gone (API delete or TTL): its pods are garbage-collected."""
        if not app.alive:
            return
        app.alive = False
        if self.apps.get(app.key) is app:
            del self.apps[app.key]
        if app.state == "RUNNING":
            self.metrics.app_transition(app.labels, "RUNNING", "-", None, None)
        self._runtime.delete_app_pods(app)

    def _pod_event(self, pod: Pod) -> None:
        if pod.app.alive:
            self.enqueue_event(pod.app.key)

    def enqueue_event(self, key: Key) -> None:
        """An event handler's `AddRateLimited`: counted as a retry, delayed by the limiter when it says so."""
        self.queue.retries_total += 1
        now = self._ctx.now
        delay = self.limiter.when(key, now) if self.limiter is not None else 0.0
        if delay <= 0:
            self.enqueue(key)
            return
        # The delaying queue keeps one entry per key and moves it only earlier (kubernetes/client-go v0.29.3 and
        # v0.32.5, what kubeflow/spark-operator v2.1.0 and v2.5.2 go.mod replace client-go with,
        # util/workqueue/delaying_queue.go `insert`: "update the time only if it would cause the item to be
        # queued sooner"): after a Forget a short delay must replace a long one still waiting.
        ready = now + delay
        waiting = self.delayed.get(key)
        if waiting is None or ready < waiting:
            self.delayed[key] = ready
            self._ctx.events.at(ready, self._ready, (key, ready))

    def _ready(self, entry: tuple[Key, float], now: float) -> None:
        key, ready = entry
        if self.delayed.get(key) != ready:  # replaced by an earlier entry (already fired, or still waiting)
            return
        del self.delayed[key]
        self.enqueue(key)

    def enqueue(self, key: Key) -> None:
        if self.queue.add(key, self._ctx.now):
            self._dispatch()

    def _requeue_at(self, at: float, key: Key) -> None:
        """Result{RequeueAfter}: controller-runtime calls Forget then AddAfter, which counts a retry."""
        self.queue.retries_total += 1
        self._ctx.events.at(at, self._enqueue_later, key)

    def _enqueue_later(self, key: Key, now: float) -> None:
        self.enqueue(key)

    # -- workers --------------------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        while self.idle > 0:
            key = self.queue.get(self._ctx.now)
            if key is None:
                return
            self.idle -= 1
            self.reconciles += 1
            app = self.apps.get(key)
            if app is not None and app.state == "":
                self._submit(app)
            else:  # a Go reconcile: milliseconds of one core, charged to the CPU but not queued behind JVMs
                work = self._ctx.jitter(self._ctx.profile.reconcile_cpu_seconds)
                self.cpu.charge(work)
                self._ctx.events.after(work, self._decide, (key, app))

    def _done(self, key: Key) -> None:
        if self.limiter is not None:
            self.limiter.forget(key)  # a reconcile without error: Forget resets the item's backoff
        self.queue.done(key, self._ctx.now)
        self.idle += 1
        self._dispatch()

    def _submit(self, app: App) -> None:
        app.attempt_start = self._ctx.now
        app.submission_id = _uuid(self._ctx)
        app.spark_app_id = f"spark-{self._ctx.hex_id(32)}"
        self.cpu.submit(self._ctx.jitter(self._ctx.profile.submit_cpu_seconds), self._submitted, app)

    def _submitted(self, app: App, now: float) -> None:
        """spark-submit's JVM finished its work: it created the driver pod (or failed); then the API calls."""
        if not app.alive:
            self._done(app.key)
            return
        if app.spec.fail != "submission":  # spark-submit's driver pod CREATE waits for admission
            self._runtime.webhook.admit(self._driver_admitted, app)
            return
        self._after_create(app, now)

    def _driver_admitted(self, app: App, now: float) -> None:
        if not app.alive:
            self._done(app.key)
            return
        self._runtime.create_driver(app)
        self._after_create(app, now)

    def _after_create(self, app: App, now: float) -> None:
        decision = next_status(app, now, self._ctx)
        latency = self._api.reserve(now) + self._ctx.jitter(self._ctx.profile.submit_latency)
        self._ctx.events.after(latency, self._write, (app, decision))

    def _decide(self, item: tuple[Key, App | None], now: float) -> None:
        key, app = item
        if app is None or not app.alive or self.apps.get(key) is not app:
            self._done(key)
            return
        if app.state in ("COMPLETED", "FAILED"):
            self._terminal(app, now)
            return
        decision = next_status(app, now, self._ctx)
        if decision.status is None or decision.status == app.status:
            if decision.recheck_at is not None:
                self._requeue_at(decision.recheck_at, key)
            self._done(key)
            return
        latency = self._api.reserve(now) + self._ctx.jitter(self._ctx.profile.status_write_latency)
        self._ctx.events.after(latency, self._write, (app, decision))

    def _write(self, item: tuple[App, Decision], now: float) -> None:
        app, decision = item
        status = decision.status
        if not app.alive or status is None:
            self._done(app.key)
            return
        old, new = app.state, status["applicationState"]["state"]
        if decision.termination is not None:
            app.termination = decision.termination
        app.status = status
        app.state = new
        if new == "SUBMITTED" and old == "":
            app.submitted_at = now
        self._ctx.out.append(AppStatus(app.spec.namespace, app.spec.name, status))
        first = status.get("executionAttempts", 0) == 1
        start_latency = now - app.created_at if new == "RUNNING" and first else None
        first_submit = new == "SUBMITTED" and status.get("submissionAttempts") == 1
        submit_latency = now - app.created_at if first_submit else None
        execution = app.termination - app.attempt_start if new in ("COMPLETED", "FAILED") else None
        self.metrics.app_transition(
            app.labels, old or "NEW", new, start_latency, execution, submit_latency=submit_latency
        )
        # The reconcile returns once its status write is answered, and controller-runtime then calls Forget, then
        # Done (kubernetes-sigs/controller-runtime v0.17.5, what spark-operator v2.1.0 vendors,
        # pkg/internal/controller/controller.go: reconcileHandler's Forget on a nil error, processNextWorkItem's
        # deferred Done); the informer's event for that write comes over the watch after it. Seen before the
        # Forget, the event would pay the item's accumulated backoff (5 ms x 2^failures: 82 s after 14 pod events
        # while the key waited), which a real operator does not.
        self._done(app.key)
        self.enqueue_event(app.key)  # the informer sees our own update

    def _terminal(self, app: App, now: float) -> None:
        ttl = app.spec.ttl
        if ttl is None:
            self._done(app.key)
        elif now - app.termination >= ttl:
            latency = self._api.reserve(now) + self._ctx.jitter(self._ctx.profile.status_write_latency)
            self._ctx.events.after(latency, self._delete, app)
        else:
            self._requeue_at(app.termination + ttl, app.key)
            self._done(app.key)

    def _delete(self, app: App, now: float) -> None:
        if app.alive:
            self._ctx.out.append(AppDeleted(app.spec.namespace, app.spec.name))
            self.remove(app)
        self._done(app.key)


def _uuid(ctx: Ctx) -> str:
    h = ctx.hex_id(32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
