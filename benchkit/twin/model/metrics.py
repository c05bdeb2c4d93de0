"""The modelled operator's metrics, named and labelled as kubeflow/spark-operator v2 exports them with the
chart's `--metrics-labels=app_type` (README.md lists them all).

Label values that depend on the chart version (the controller's name) are the exporter's business
(benchkit/twin/metrics.py maps CONTROLLER to the name of the chart version the twin stands in for).
"""

from __future__ import annotations

from collections import defaultdict

from benchkit.twin.model.histogram import START_LATENCY_BUCKETS, SUBMIT_LATENCY_BUCKETS, SUMMARY, Hist
from benchkit.twin.model.interface import Histogram, ModelMetrics

Labels = tuple[tuple[str, str], ...]
CONTROLLER = "sparkapplication"
QUEUE_LABELS: Labels = (("controller", CONTROLLER), ("name", CONTROLLER))
CONTROLLER_LABELS: Labels = (("controller", CONTROLLER),)
OPERATOR_NAMESPACE = "spark-operator"
OPERATOR_POD = "spark-operator-controller-7d9f8b6c5d-x2k4p"
CPU_LABELS: Labels = (
    ("namespace", OPERATOR_NAMESPACE),
    ("pod", OPERATOR_POD),
    ("container", "spark-operator-controller"),
)
OPERATOR_POD_UID = "5b0c9d2e-3f41-4a8e-9c67-1d2e3f4a5b6c"
"""The modelled operator pod's uid (the twin stores no operator pod: fixed, like its name)."""
CONTAINER_REQUESTS = "kube_pod_container_resource_requests"

APP_COUNT = "spark_application_count"
SUBMIT_COUNT = "spark_application_submit_count"
FAILED_SUBMISSION_COUNT = "spark_application_failed_submission_count"
RUNNING_COUNT = "spark_application_running_count"
SUCCESS_COUNT = "spark_application_success_count"
FAILURE_COUNT = "spark_application_failure_count"
START_LATENCY = "spark_application_start_latency_seconds"
START_LATENCY_HISTOGRAM = "spark_application_start_latency_seconds_histogram"
SUBMIT_LATENCY = "spark_application_submit_latency_seconds"
SUBMIT_LATENCY_HISTOGRAM = "spark_application_submit_latency_seconds_histogram"
"""Operator v2.5.1+ only (the exporter drops both under an older chart: benchkit/spark/operator_versions.py)."""
BUCKETS = {START_LATENCY_HISTOGRAM: START_LATENCY_BUCKETS, SUBMIT_LATENCY_HISTOGRAM: SUBMIT_LATENCY_BUCKETS}
SUCCESS_TIME = "spark_application_success_execution_time_seconds"
FAILURE_TIME = "spark_application_failure_execution_time_seconds"
EXECUTOR_RUNNING = "spark_executor_running_count"
EXECUTOR_SUCCESS = "spark_executor_success_count"
EXECUTOR_FAILURE = "spark_executor_failure_count"
OPERATOR_CPU = "container_cpu_usage_seconds_total"
PROCESS_CPU = "process_cpu_seconds_total"


def app_labels(labels: dict[str, str], namespace: str) -> Labels:
    """Only `app_type`: chart 2.1.0 hard-codes `--metrics-labels=app_type` (kubeflow/spark-operator v2.1.0
    charts/spark-operator-chart/templates/controller/deployment.yaml; v2.5.2 makes it the default of
    `prometheus.metrics.labels`). `namespace` is a label the operator could add, not one the chart does."""
    del namespace
    return (("app_type", labels.get("app_type", "Unknown")),)


class OperatorMetrics:
    """Spark application and executor metrics, updated as the operator's informers see changes."""

    def __init__(self) -> None:
        self.counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.gauges: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.hists: dict[str, dict[Labels, Hist]] = defaultdict(dict)
        for name in (
            APP_COUNT,
            SUBMIT_COUNT,
            FAILED_SUBMISSION_COUNT,
            SUCCESS_COUNT,
            FAILURE_COUNT,
            EXECUTOR_SUCCESS,
            EXECUTOR_FAILURE,
        ):
            self.counters[name] = defaultdict(float)
        for name in (RUNNING_COUNT, EXECUTOR_RUNNING):
            self.gauges[name] = defaultdict(float)

    def inc(self, name: str, labels: Labels) -> None:
        self.counters[name][labels] += 1

    def gauge_add(self, name: str, labels: Labels, delta: float) -> None:
        self.gauges[name][labels] += delta

    def observe(self, name: str, labels: Labels, value: float) -> None:
        hists = self.hists[name]
        hist = hists.get(labels)
        if hist is None:
            hist = hists[labels] = Hist(BUCKETS.get(name, SUMMARY))
        hist.observe(value)

    def app_replayed(self, labels: Labels, state: str) -> None:
        """HandleSparkApplicationCreate (v2.1.0 internal/metrics/sparkapplication_metrics.go): an informer's
        create event counts the app once by its current state; after a restart every stored app is one."""
        counter = {"": APP_COUNT, "NEW": APP_COUNT, "SUBMITTED": SUBMIT_COUNT,
                   "SUBMISSION_FAILED": FAILED_SUBMISSION_COUNT, "FAILED": FAILURE_COUNT,
                   "COMPLETED": SUCCESS_COUNT}.get(state)  # fmt: skip
        if counter is not None:
            self.inc(counter, labels)
        elif state == "RUNNING":
            self.gauge_add(RUNNING_COUNT, labels, 1)

    def app_transition(
        self,
        labels: Labels,
        old: str,
        new: str,
        start_latency: float | None,
        execution_time: float | None,
        *,
        submit_latency: float | None = None,
    ) -> None:
        """What HandleSparkApplicationUpdate records for a state change old → new.

        `submit_latency` (creation to SUBMITTED, given on the first submission only) is what v2.5.1+
        observeSubmitLatencySeconds records (kubeflow/spark-operator v2.5.2 internal/metrics/
        sparkapplication_metrics.go: on a change to SUBMITTED with status.submissionAttempts == 1,
        time.Since(creationTimestamp) into the Summary and the Histogram)."""
        if old == new:
            return
        if old == "RUNNING":
            self.gauge_add(RUNNING_COUNT, labels, -1)
        if new == "NEW":
            self.inc(APP_COUNT, labels)
        elif new == "SUBMITTED":
            self.inc(SUBMIT_COUNT, labels)
            if submit_latency is not None:
                self.observe(SUBMIT_LATENCY, labels, submit_latency)
                self.observe(SUBMIT_LATENCY_HISTOGRAM, labels, submit_latency)
        elif new == "SUBMISSION_FAILED":
            self.inc(FAILED_SUBMISSION_COUNT, labels)
        elif new == "RUNNING":
            self.gauge_add(RUNNING_COUNT, labels, 1)
            if start_latency is not None:
                self.observe(START_LATENCY, labels, start_latency)
                self.observe(START_LATENCY_HISTOGRAM, labels, start_latency)
        elif new == "COMPLETED":
            self.inc(SUCCESS_COUNT, labels)
            if execution_time is not None:
                self.observe(SUCCESS_TIME, labels, execution_time)
        elif new == "FAILED":
            self.inc(FAILURE_COUNT, labels)
            if execution_time is not None:
                self.observe(FAILURE_TIME, labels, execution_time)

    def snapshot(self) -> ModelMetrics:
        histograms: dict[str, dict[Labels, Histogram]] = {
            name: {labels: h.snapshot() for labels, h in by_labels.items()} for name, by_labels in self.hists.items()
        }
        return ModelMetrics(
            counters={name: dict(v) for name, v in self.counters.items()},
            gauges={name: dict(v) for name, v in self.gauges.items()},
            histograms=histograms,
        )


def operator_cpu_request(cpus: float, node: str) -> dict[Labels, float]:
    """kube-state-metrics' kube_pod_container_resource_requests for the operator controller's CPU request
    (kubernetes/kube-state-metrics v2.20.0 internal/store/pod.go createPodContainerResourceRequestsFamilyGenerator:
    labels namespace, pod, uid (wrapPodFunc), then container, node (spec.nodeName, empty while unscheduled),
    resource, unit; cpu in cores, unit "core" (pkg/constant/resource_unit.go)).

    The request is the vCPUs the model gives the operator (`operator_cpus`): infra requests the operator node's
    CPUs less its DaemonSets and the webhook (infra/sizing.py operator_sizing: 33 of a c5.9xlarge's 36), the
    model lets the controller use them all. The memory request the real pod also has is not modelled."""
    pod = (("namespace", OPERATOR_NAMESPACE), ("pod", OPERATOR_POD), ("uid", OPERATOR_POD_UID))
    labels = (*pod, ("container", "spark-operator-controller"), ("node", node), ("resource", "cpu"), ("unit", "core"))
    return {labels: cpus}
