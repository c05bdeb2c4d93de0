"""The panels of benchkit's two Grafana dashboards, as data: title, meaning, PromQL targets, unit.

Queries use Grafana's `$__rate_interval` for rate windows and `$__range` for "over the visible range",
and `$controller` (the SparkApplication controller's controller-runtime name: spark-application-controller on
chart 2.1.0-2.4.x, sparkapplication from 2.5.0; benchkit/spark/operator_versions.py) on the operator board.
The operator's own process is picked by `and on(job, instance) controller_runtime_active_workers{...}`,
so no job, namespace or pod name is hard-coded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    targets: tuple[Target, ...]
    unit: str = "short"
    kind: str = "timeseries"
    axis_label: str = ""


@dataclass(frozen=True)
class Row:
    title: str


RI = "$__rate_interval"
CTRL = 'controller="$controller"'
QUEUE = 'name="$controller"'
OPERATOR_PROCESS = f"on(job, instance) controller_runtime_active_workers{{{CTRL}}}"


def _quantiles(metric: str, selector: str, by: str = "") -> tuple[Target, ...]:
    group = f"le, {by}" if by else "le"
    suffix = f" {{{{{by}}}}}" if by else ""
    return tuple(
        Target(
            f"histogram_quantile({q}, sum by ({group}) (rate({metric}_bucket{selector}[{RI}])))", f"p{label}{suffix}"
        )
        for q, label in ((0.5, "50"), (0.9, "90"), (0.99, "99"))
    )


OPERATOR: list[Row | Panel] = [
    Row("Throughput"),
    Panel(
        "Create rate vs operator submissions",
        "Created: SparkApplications the API server accepted (the rate benchkit achieved; the rate it offered is "
        "in its report). Seen: apps the operator observed as new. Submitted: the operator's spark-submits. "
        "Completed: apps finishing. When submitted stays below created, the operator is the bottleneck and the "
        "backlog grows.",
        (
            Target(f'sum(rate(apiserver_request_total{{resource="sparkapplications", verb="POST", code=~"2.."}}'
                   f"[{RI}])) * 60", "created (API server)"),
            Target(f"sum(rate(spark_application_count[{RI}])) * 60", "seen by operator"),
            Target(f"sum(rate(spark_application_submit_count[{RI}])) * 60", "submitted by operator"),
            Target(f"sum(rate(spark_application_success_count[{RI}])) * 60", "completed"),
        ),
        unit="short", axis_label="apps/min",
    ),
    Panel(
        "Apps by state",
        "RUNNING is the operator's gauge. The backlog is the SparkApplication objects stored minus the ones running: "
        "apps created but not yet running, plus finished apps not yet deleted (scenario keep).",
        (
            Target("sum(spark_application_running_count)", "running"),
            Target('max(apiserver_storage_objects{resource="sparkapplications.sparkoperator.k8s.io"})',
                   "stored SparkApplications"),
            Target('max(apiserver_storage_objects{resource="sparkapplications.sparkoperator.k8s.io"}) '
                   "- sum(spark_application_running_count)", "stored, not running"),
        ),
        axis_label="apps",
    ),
    Panel(
        "Outcomes in the visible range",
        "Apps seen, submitted, completed and failed during the dashboard's time range (increase() over $__range). "
        "An operator restart is NOT harmless here: on start the informer replays every stored app as a create and "
        "the operator counts each again by its state (kept COMPLETED apps re-enter completed), so these jump. "
        "Check 'Operator restarts' below; benchkit's report counts apps from its own journal.",
        (
            Target("sum(increase(spark_application_count[$__range]))", "seen"),
            Target("sum(increase(spark_application_submit_count[$__range]))", "submitted"),
            Target("sum(increase(spark_application_success_count[$__range]))", "completed"),
            Target("sum(increase(spark_application_failure_count[$__range])) or vector(0)", "failed"),
        ),
        kind="stat",
    ),
    Panel(
        "Success ratio in the visible range",
        "Completed / (completed + failed) over the time range: windowed increases, not lifetime counters. An "
        "operator restart in the range re-counts every stored app by state and skews it.",
        (
            Target("sum(increase(spark_application_success_count[$__range])) / (sum(increase("
                   "spark_application_success_count[$__range])) + (sum(increase(spark_application_failure_count"
                   "[$__range])) or vector(0)))", "success ratio"),
        ),
        unit="percentunit", kind="stat",
    ),
    Row("Latency"),
    Panel(
        "Start latency (creation to RUNNING), operator histogram",
        "p50/p90/p99 of spark_application_start_latency_seconds_histogram. Its top bucket is 300 s by default: "
        "quantiles cannot exceed it, use benchkit's report for the true tail.",
        _quantiles("spark_application_start_latency_seconds_histogram", ""),
        unit="s",
    ),
    Panel(
        "Mean start latency",
        "Windowed mean of the start-latency summary: rate(sum) / rate(count).",
        (
            Target(f"sum(rate(spark_application_start_latency_seconds_sum[{RI}])) / "
                   f"sum(rate(spark_application_start_latency_seconds_count[{RI}]))", "mean"),
        ),
        unit="s",
    ),
    Panel(
        "Submit latency (creation to SUBMITTED), operator v2.5.1+",
        "p50/p90/p99 of spark_application_submit_latency_seconds_histogram: the operator's own delay, without "
        "scheduling or image pulls. Only operator v2.5.1 and later export it.",
        _quantiles("spark_application_submit_latency_seconds_histogram", ""),
        unit="s",
    ),
    Panel(
        "Admission webhook latency (API server side)",
        "p99 time the API server spends in the Spark Operator's mutating webhook per pod create; the published "
        "benchmark measured about 60 s more start latency with the webhook on.",
        (
            Target(f"histogram_quantile(0.99, sum by (le, name) (rate(apiserver_admission_webhook_admission_duration"
                   f'_seconds_bucket{{name=~".*spark.*"}}[{RI}])))', "p99 {{name}}"),
        ),
        unit="s",
    ),
    Row("Work queue"),
    Panel(
        "Work queue depth",
        "Items waiting for a worker (a gauge: plotted as is, never through rate()). A depth that keeps growing is "
        "the operator falling behind. The trend is deriv() over 5 minutes, in items per second. Items held back "
        "by the work queue's rate limiter (AddAfter; a token bucket, 50/s burst 500 with chart 2.1.0) are not counted "
        "until their delay ends: a backlog in the limiter never shows as depth (kubernetes/client-go v0.29.3 "
        "util/workqueue/delaying_queue.go: waitingLoop calls Add only once an entry is ready).",
        (
            Target(f"sum(workqueue_depth{{{QUEUE}}})", "depth"),
            Target(f"deriv(sum(workqueue_depth{{{QUEUE}}})[5m:])", "trend (items/s)"),
        ),
        axis_label="items",
    ),
    Panel(
        "Work queue adds and rate-limited enqueues",
        "adds/s: items entering the queue (deduplicated). rate-limited enqueues/s: workqueue_retries_total, which "
        "client-go counts on every AddAfter, and the operator's event handlers enqueue every app and pod event with "
        "AddRateLimited: it tracks the event rate, not failures (kubernetes/client-go v0.29.3, what "
        "kubeflow/spark-operator v2.1.0's go.mod uses (v0.32.5 for v2.5.2), util/workqueue/delaying_queue.go AddAfter "
        "and rate_limiting_queue.go AddRateLimited; kubeflow/spark-operator v2.1.0 "
        "internal/controller/sparkapplication/event_handler.go). Failed reconciles are under 'Reconciles by result'.",
        (
            Target(f"sum(rate(workqueue_adds_total{{{QUEUE}}}[{RI}]))", "adds/s"),
            Target(f"sum(rate(workqueue_retries_total{{{QUEUE}}}[{RI}]))", "rate-limited enqueues/s (events)"),
        ),
        unit="reqps",
    ),
    Panel(
        "Queue latency (waiting for a worker)",
        "p50/p90/p99 time an item waits in the queue. The top finite bucket is 1000 s.",
        _quantiles("workqueue_queue_duration_seconds", f"{{{QUEUE}}}"),
        unit="s",
    ),
    Panel(
        "Work latency (one reconcile)",
        "p50/p90/p99 time a worker spends on one item; a submission runs spark-submit, a JVM, inside it.",
        _quantiles("workqueue_work_duration_seconds", f"{{{QUEUE}}}"),
        unit="s",
    ),
    Panel(
        "Unfinished work and longest running reconcile",
        "Gauges (plotted as is): seconds of work in progress not yet done, and the oldest reconcile still running.",
        (
            Target(f"max(workqueue_unfinished_work_seconds{{{QUEUE}}})", "unfinished work"),
            Target(f"max(workqueue_longest_running_processor_seconds{{{QUEUE}}})", "longest running"),
        ),
        unit="s",
    ),
    Row("Workers and resources"),
    Panel(
        "Active workers",
        "Reconcilers busy now against controller.workers (max concurrent reconciles). Busy = max for long means "
        "the workers are the limit; fewer busy while the queue is deep points at CPU or the API.",
        (
            Target(f"sum(controller_runtime_active_workers{{{CTRL}}})", "active"),
            Target(f"sum(controller_runtime_max_concurrent_reconciles{{{CTRL}}})", "max"),
        ),
        axis_label="workers",
    ),
    Panel(
        "Reconciles by result",
        "Reconciles per second by result (success, error, requeue, requeue_after).",
        (Target(f"sum by (result) (rate(controller_runtime_reconcile_total{{{CTRL}}}[{RI}]))", "{{result}}"),),
        unit="reqps",
    ),
    Panel(
        "Operator CPU",
        "Cores used by the operator controller: its process counter, and the container's cAdvisor counter with "
        "the container's CPU request (kube-state-metrics). The published benchmark found the operator CPU-bound.",
        (
            Target(f"sum(rate(process_cpu_seconds_total[{RI}]) and {OPERATOR_PROCESS})", "process"),
            Target(f'sum by (pod) (rate(container_cpu_usage_seconds_total{{container="spark-operator-controller"}}'
                   f"[{RI}]))", "container {{pod}}"),
            Target('sum(kube_pod_container_resource_requests{container="spark-operator-controller", resource="cpu"})',
                   "request"),
        ),
        axis_label="cores",
    ),
    Panel(
        "Operator restarts",
        "Changes of the operator process's start time in the visible range. Any restart re-counts every stored "
        "app by state (kubeflow/spark-operator v2.1.0 internal/metrics/sparkapplication_metrics.go "
        "HandleSparkApplicationCreate): the outcome and success-ratio panels jump.",
        (Target(f"max(changes(process_start_time_seconds[$__range]) and {OPERATOR_PROCESS}) or vector(0)",
                "restarts"),),
        kind="stat",
    ),
    Panel(
        "Operator memory",
        "Resident memory of the operator process and the container's working set (cAdvisor).",
        (
            Target(f"sum(process_resident_memory_bytes and {OPERATOR_PROCESS})", "process RSS"),
            Target('sum by (pod) (container_memory_working_set_bytes{container="spark-operator-controller"})',
                   "container {{pod}}"),
        ),
        unit="bytes",
    ),
]  # fmt: skip

VERBS = 'verb!~"WATCH|CONNECT"'
STORED = 'resource=~"pods|sparkapplications.sparkoperator.k8s.io"'

CLUSTER: list[Row | Panel] = [
    Row("API server"),
    Panel(
        "API latency p50 by verb",
        "Median request latency by verb, WATCH and CONNECT excluded (long-lived by design). Buckets as the stack "
        "keeps them: 0.005, 0.025, 0.05, 0.1, 1, 5, 10, 30, 60 s (0.1-1 s is one bucket).",
        (Target(f"histogram_quantile(0.5, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{{{VERBS}}}"
                f"[{RI}])))", "{{verb}}"),),
        unit="s",
    ),
    Panel(
        "API latency p99 by verb",
        "p99 request latency by verb. The Kubernetes SLO is 1 s for single-object calls and 30 s for LISTs; the "
        "published benchmark saw p90 peak near 600 ms, from Spark drivers listing executor pods. Coarse: "
        "kube-prometheus-stack 88.5.3 drops most le buckets of this histogram (values.yaml, kubeApiServer "
        "metricRelabelings) and keeps 0.005, 0.025, 0.05, 0.1, 1, 5, 10, 30, 60 s, so 0.1-1 s is one bucket and "
        "a quantile inside it (such as ~0.6 s) is a linear interpolation, not a measurement.",
        (Target(f"histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{{{VERBS}}}"
                f"[{RI}])))", "{{verb}}"),),
        unit="s",
    ),
    Panel(
        "API requests by code",
        "Requests per second by HTTP code. 429s are API Priority and Fairness (or max-inflight) pushing back.",
        (Target(f"sum by (code) (rate(apiserver_request_total{{{VERBS}}}[{RI}]))", "{{code}}"),),
        unit="reqps",
    ),
    Panel(
        "Requests by resource and verb (pods, SparkApplications)",
        "Who loads the API: creates of SparkApplications (benchkit), status updates (operator), pod creates "
        "(spark-submit and drivers), LISTs.",
        (Target(f'sum by (resource, verb) (rate(apiserver_request_total{{resource=~"pods|sparkapplications", {VERBS}}}'
                f"[{RI}]))", "{{verb}} {{resource}}"),),
        unit="reqps",
    ),
    Panel(
        "API Priority and Fairness",
        "Seats executing and requests rejected by APF (EKS exposes these).",
        (
            Target("sum(apiserver_flowcontrol_current_executing_seats)", "seats executing"),
            Target(f"sum(rate(apiserver_flowcontrol_rejected_requests_total[{RI}]))", "rejected/s"),
        ),
    ),
    Row("Objects, pods and nodes"),
    Panel(
        "Stored objects: pods and SparkApplications",
        "Objects in etcd as the API server counts them. apiserver_resource_objects replaces apiserver_storage_objects "
        "from Kubernetes 1.34; both are queried.",
        (
            Target(f"max by (resource) (apiserver_storage_objects{{{STORED}}})", "{{resource}}"),
            Target('max by (resource) (apiserver_resource_objects{resource=~"pods|sparkapplications"})',
                   "{{resource}} (1.34+)"),
        ),
        axis_label="objects",
    ),
    Panel(
        "Pending pods",
        "Pods not yet scheduled or started (kube-state-metrics), by namespace: the cluster's backlog. Nodes "
        "too few or too full show up here first.",
        (Target('sum by (namespace) (kube_pod_status_phase{phase="Pending"})', "{{namespace}}"),),
        axis_label="pods",
    ),
    Panel(
        "Nodes",
        "Nodes stored in the API and nodes Ready (kube-state-metrics).",
        (
            Target('max(apiserver_storage_objects{resource="nodes"})', "nodes"),
            Target('sum(kube_node_status_condition{condition="Ready", status="true"})', "ready"),
        ),
        axis_label="nodes",
    ),
    Panel(
        "etcd database size",
        "Size of the etcd database as the API server reports it; etcd refuses writes at its quota.",
        (Target("max(apiserver_storage_size_bytes)", "db size"),),
        unit="bytes",
    ),
]  # fmt: skip
