"""`/metrics`: kube-apiserver's request/storage/watch and API Priority and Fairness metrics (flowcontrol.py) and
its etcd database size (etcd.py), the modelled operator's metrics (its process CPU and memory included) under the
names and types the operator exports, kube-state-metrics and cAdvisor series (exporters.py) and node-exporter's
CPU counters (node_exporter.py); the twin's own process metrics carry a `benchkit_twin_` prefix.

Requests are counted in plain dicts on the hot path; a prometheus_client collector turns them (and a
fresh `ModelMetrics` snapshot) into metric families only when scraped.
"""

from __future__ import annotations

import bisect
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from benchkit.spark import operator_versions
from benchkit.twin import daemonsets, etcd, exporters, exposition
from benchkit.twin.flowcontrol import Flowcontrol
from benchkit.twin.model.interface import ModelMetrics
from benchkit.twin.model.metrics import CONTROLLER, CPU_LABELS
from benchkit.twin.node_exporter import NodeCpu
from benchkit.twin.resources import ALL, PODS, SPARK_APPS
from benchkit.twin.store import Store

# kube-apiserver's buckets for apiserver_request_duration_seconds (kubernetes/apiserver v0.31.0, v0.32.0 and v0.33.0,
# the staging mirror of kubernetes/kubernetes 1.31 to 1.33, pkg/endpoints/metrics/metrics.go requestLatencies; the
# same at all three).
APISERVER_BUCKETS = (
    0.005,
    0.025,
    0.05,
    0.1,
    0.2,
    0.4,
    0.6,
    0.8,
    1.0,
    1.25,
    1.5,
    2,
    3,
    4,
    5,
    6,
    8,
    10,
    15,
    20,
    30,
    45,
    60,
)
# kube-prometheus-stack 88.5.3 (prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3,
# charts/kube-prometheus-stack/values.yaml, kubeApiServer.serviceMonitor.metricRelabelings) drops these `le`
# values of apiserver_request_duration_seconds_bucket before storing: the twin exports what the stack keeps,
# 0.005 0.025 0.05 0.1 1 5 10 30 60 (so 0.1 s to 1 s is one bucket, as on the real stack).
STACK_DROPS_LE = re.compile(
    r"(0\.15|0\.2|0\.3|0\.35|0\.4|0\.45|0\.6|0\.7|0\.8|0\.9|1\.25|1\.5|1\.75|2|3|3\.5|4|4\.5|6|7|8|9|15|20|40|45|50)(\.0)?"
)
DURATION_BUCKETS = tuple(b for b in APISERVER_BUCKETS if not STACK_DROPS_LE.fullmatch(repr(float(b))))
_REQUEST_LABELS = ("verb", "group", "version", "resource", "subresource", "scope")
OPERATOR_BASE_RSS = 40 * 1024 * 1024
"""Modelled resident memory of an idle operator (a controller-runtime Go binary): an estimate, not measured."""
CACHE_BYTES_PER_JSON_BYTE = 3
"""Modelled informer-cache cost: decoded Go objects take a few times their JSON size (an estimate, not measured)."""
OWN_PREFIX = "benchkit_twin"
_UNTYPED = re.compile(rb"^# TYPE (\S+) untyped$", re.MULTILINE)
RequestKey = tuple[str, str, str, str, str, str]


class RequestStats:
    """Counts and latency histograms by (verb, group, version, resource, subresource, scope)."""

    def __init__(self) -> None:
        self.total: Counter[tuple[RequestKey, int]] = Counter()
        self.buckets: dict[RequestKey, list[int]] = {}
        self.sums: dict[RequestKey, float] = {}
        self.longrunning: Counter[RequestKey] = Counter()
        self.flow = Flowcontrol()

    def observe(self, key: RequestKey, code: int, seconds: float) -> None:
        self.total[key, code] += 1
        counts = self.buckets.get(key)
        if counts is None:
            counts = self.buckets[key] = [0] * (len(DURATION_BUCKETS) + 1)
        counts[bisect.bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.sums[key] = self.sums.get(key, 0.0) + seconds

    def by_verb_resource(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (key, _code), n in self.total.items():
            out[f"{key[0]} {key[3]}{'/' + key[4] if key[4] else ''}"] += n
        return dict(sorted(out.items()))


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def _label_names(samples: dict[tuple[tuple[str, str], ...], Any]) -> list[str]:
    names: dict[str, None] = {}
    for labels in samples:
        names.update(dict.fromkeys(k for k, _ in labels))
    return list(names)


def as_chart(snapshot: ModelMetrics, chart_version: str) -> ModelMetrics:
    """The snapshot as the operator of `chart_version` exports it: the SparkApplication controller's name on the
    workqueue (`name`) and controller-runtime (`controller`) series, and without the metrics that version does
    not have (submit latency before v2.5.1; see benchkit/spark/operator_versions.py)."""
    real = operator_versions.controller_name(chart_version)
    drop_controller = not operator_versions.workqueue_has_controller_label(chart_version)
    absent = () if operator_versions.exports_submit_latency(chart_version) else operator_versions.SUBMIT_LATENCY_METRICS

    def fix(name: str, labels: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        if drop_controller and name.startswith("workqueue_"):  # controller-runtime v0.17.5: `name` only
            labels = tuple((k, v) for k, v in labels if k != "controller")
        return tuple((k, real if k in ("controller", "name") and v == CONTROLLER else v) for k, v in labels)

    return ModelMetrics(
        counters={n: {fix(n, k): v for k, v in by.items()} for n, by in snapshot.counters.items()},
        gauges={n: {fix(n, k): v for k, v in by.items()} for n, by in snapshot.gauges.items()},
        histograms={n: {fix(n, k): v for k, v in by.items()} for n, by in snapshot.histograms.items()
                    if n not in absent},
    )  # fmt: skip


def model_families(snapshot: ModelMetrics) -> Iterator[Metric]:
    """The model's metrics with the operator's names and types, as client_golang exports them.

    A counter whose name does not end in `_total` (`spark_application_count`) is collected untyped under its
    exact name and typed `counter` by `render` (prometheus_client would add `_total`); a histogram without
    finite buckets is a Summary without objectives (`_sum` and `_count`), as the operator's latency metrics are.
    """
    for name, samples in sorted(snapshot.counters.items()):
        base = name[: -len("_total")] if name.endswith("_total") else name
        metric = Metric(base, f"{name} (benchkit twin model)", "counter" if base != name else "unknown")
        for labels, value in samples.items():
            metric.add_sample(name, dict(labels), value)
        yield metric
    for name, samples in sorted(snapshot.gauges.items()):
        gauge = GaugeMetricFamily(name, f"{name} (benchkit twin model)", labels=_label_names(samples))
        for labels, value in samples.items():
            gauge.add_metric([v for _, v in labels], value)
        yield _relabel(gauge, samples)
    for name, hists in sorted(snapshot.histograms.items()):
        if all(math.isinf(le) for h in hists.values() for le in h.buckets):
            summary = SummaryMetricFamily(name, f"{name} (benchkit twin model)", labels=_label_names(hists))
            for labels, h in hists.items():
                summary.add_metric([v for _, v in labels], h.count, h.sum)
            yield _relabel(summary, hists)
            continue
        hist = HistogramMetricFamily(name, f"{name} (benchkit twin model)", labels=_label_names(hists))
        for labels, h in hists.items():
            buckets = [(_le(le), float(n)) for le, n in sorted(h.buckets.items())]
            if not buckets or buckets[-1][0] != "+Inf":
                buckets.append(("+Inf", float(h.count)))
            hist.add_metric([v for _, v in labels], buckets, h.sum)
        yield _relabel(hist, hists)


def _relabel(family: Metric, samples: dict[tuple[tuple[str, str], ...], Any]) -> Metric:
    """Label sets may differ between samples of one metric: rebuild each sample's labels from its own tuple."""
    if len({tuple(k for k, _ in labels) for labels in samples}) <= 1:
        return family
    fixed = Metric(family.name, family.documentation, family.type)
    for s in family.samples:
        fixed.add_sample(s.name, {k: v for k, v in s.labels.items() if v != ""}, s.value)
    return fixed


class TwinCollector:
    """Renders apiserver metrics from RequestStats + Store and the model's snapshot on each scrape."""

    def __init__(
        self,
        stats: RequestStats,
        store: Store,
        model_metrics: Callable[[], ModelMetrics | None],
        operator_chart: str = operator_versions.DEFAULT_CHART,
        started: float | None = None,
        *,
        prerendered: bool = True,
    ) -> None:
        self.stats = stats
        self.store = store
        self.model_metrics = model_metrics
        self.operator_chart = operator_chart
        self.started = time.time() if started is None else started
        """When the modelled operator process started: this twin process's start (a restart resets it)."""
        self.node_cpu = NodeCpu(store)
        self.etcd = etcd.EtcdSize(store)
        self.kube_state = exporters.KubeStateMetrics(store)
        self.prerendered = prerendered
        """False: the large families as plain ones too (the reference tests/twin/test_exposition.py checks the
        prerendered text against; see exposition.py)."""

    def collect(self) -> Iterator[Metric]:
        yield from self._requests()
        yield from self.stats.flow.collect()
        yield from self._storage()
        snapshot = self.model_metrics()
        if snapshot is not None:
            yield from model_families(as_chart(snapshot, self.operator_chart))
        memory = self._operator_memory()
        yield memory
        yield exporters.cadvisor_memory(dict(CPU_LABELS), memory.samples[0].value)
        if self.prerendered:
            yield from self.kube_state.collect()
            yield from self.node_cpu.collect()
        else:
            yield from exporters.kube_state_metrics(self.store)
            self.node_cpu.advance()
            yield self.node_cpu.family()
        start = GaugeMetricFamily("process_start_time_seconds", "Start time of the process since unix epoch.")
        start.add_metric([], self.started)
        yield start

    def _operator_memory(self) -> Metric:
        """The modelled operator's resident memory: a base plus its informer caches, which hold every
        SparkApplication and every pod it launched (all pods but the DaemonSets'), an estimate scaled by the
        objects' real sizes."""
        launched = (n for ns, n in self.store.coll(PODS).size.items() if ns != daemonsets.NAMESPACE)
        cached = sum(self.store.coll(SPARK_APPS).size.values()) + sum(launched)
        rss = GaugeMetricFamily("process_resident_memory_bytes", "Resident memory size in bytes (benchkit twin model).")
        rss.add_metric([], OPERATOR_BASE_RSS + CACHE_BYTES_PER_JSON_BYTE * cached)
        return rss

    def _requests(self) -> Iterator[Metric]:
        labels = ["component", "dry_run", *_REQUEST_LABELS]
        total = CounterMetricFamily(
            "apiserver_request",
            "Counter of apiserver requests broken out by verb, resource and code.",
            labels=[*labels, "code"],
        )
        for (key, code), n in sorted(self.stats.total.items()):
            total.add_metric(["apiserver", "", *key, str(code)], n)
        yield total
        hist = HistogramMetricFamily(
            "apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, resource.",
            labels=labels,
        )
        for key, counts in sorted(self.stats.buckets.items()):
            cumulative, acc = [], 0
            for le, n in zip((*DURATION_BUCKETS, float("inf")), counts, strict=True):
                acc += n
                cumulative.append((_le(le), float(acc)))
            hist.add_metric(["apiserver", "", *key], cumulative, self.stats.sums[key])
        yield hist
        # upstream's longrunning_requests has no dry_run label (the same metrics.go)
        longrunning = GaugeMetricFamily(
            "apiserver_longrunning_requests",
            "Gauge of all active long-running apiserver requests.",
            labels=["component", *_REQUEST_LABELS],
        )
        for key, n in sorted(self.stats.longrunning.items()):
            longrunning.add_metric(["apiserver", *key], n)
        yield longrunning

    def _storage(self) -> Iterator[Metric]:
        objects = GaugeMetricFamily(
            "apiserver_storage_objects", "Number of stored objects per resource.", labels=["resource"]
        )
        events = CounterMetricFamily(
            "apiserver_watch_events", "Number of events sent in watch clients.", labels=["group", "version", "kind"]
        )
        for r in ALL:
            coll = self.store.coll(r)
            objects.add_metric([r.qualified], len(coll.objects))
            events.add_metric([r.group, r.version, r.kind], coll.delivered)
        yield objects
        yield events
        yield self.etcd.family()
        rv = GaugeMetricFamily("benchkit_twin_resource_version", "The twin store's latest resourceVersion.")
        rv.add_metric([], self.store.rv)
        yield rv


def registry(collector: TwinCollector) -> CollectorRegistry:
    """The twin's metrics; its own process's under `benchkit_twin_` (`process_*` are the modelled operator's)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(collector)
    ProcessCollector(namespace=OWN_PREFIX, registry=reg)
    return reg


def render(reg: CollectorRegistry) -> bytes:
    """The Prometheus text format; the only untyped families are the model's counters without `_total` (the
    prerendered families are typed, so only the rest is searched for them)."""
    return exposition.render(reg, plain)


def plain(collector: Collector) -> bytes:
    """`generate_latest`, the untyped families written as counters."""
    return _UNTYPED.sub(rb"# TYPE \1 counter", generate_latest(collector))
