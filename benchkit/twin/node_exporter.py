"""node-exporter's CPU counters for every node in the twin's store, as the real DaemonSet exports them.

`node_cpu_seconds_total{cpu, mode}` is a counter of seconds each logical CPU spent in each mode
(prometheus/node_exporter v1.12.1 collector/cpu_common.go and collector/cpu_linux.go `updateStat`; v1.12.1 is the
appVersion of chart prometheus-node-exporter-4.56.1, the subchart prometheus-community/helm-charts
kube-prometheus-stack-88.5.3 Chart.yaml pins, whose values leave the image tag unset; one series per cpu and
mode, never aggregated over cpus).

The real series carry no node label: kube-prometheus-stack 88.5.3 values.yaml sets
`prometheus-node-exporter.prometheus.monitor.relabelings: []`, so each node's series are told apart only by
their scrape target's `instance`. The twin is one target standing in for every node's exporter, so it writes
that `instance` itself (the node's name, port 9100); a Prometheus scraping the twin without `honor_labels`
stores it as `exported_instance`. Queries that aggregate over nodes (the profiles' and dashboards') see the
same series either way.

Only modes idle, user and system are exported (v1.12.1 also has iowait, irq, nice, softirq, steal):
three per cpu keeps 200 nodes x 16 vCPUs at 9,600 series. The model has no per-node CPU usage, so a node's
busy cores are its running pods' CPU requests (capped at its vCPUs): cpus are filled in order, busy time is
split 90 % user / 10 % system (an estimate, not measured), and each scrape integrates the busy cores seen at
that scrape over the time since the previous one (docs/twin-model.md, "node CPU").
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, Metric

from benchkit.twin.exposition import Prerendered, prefixes, sample_lines, with_values
from benchkit.twin.model.quantity import cpu_millis
from benchkit.twin.resources import NODES, PODS
from benchkit.twin.store import Store

MODES = ("idle", "user", "system")
USER_SHARE = 0.9
"""Share of a busy CPU's time accounted as user (the rest system): an estimate, not measured."""
PORT = 9100


def pod_cpu_millis(pod: dict[str, Any]) -> int:
    """The pod's CPU request: the sum over its containers (init containers run before, not beside, them)."""
    containers = (pod.get("spec") or {}).get("containers") or []
    total = 0
    for c in containers:
        cpu = ((c.get("resources") or {}).get("requests") or {}).get("cpu")
        if cpu is not None:
            total += cpu_millis(cpu)
    return total


def _vcpus(node: dict[str, Any]) -> int:
    capacity = (node.get("status") or {}).get("capacity") or {}
    return max(1, cpu_millis(capacity.get("cpu", "1")) // 1000)


class NodeCpu:
    """Per-node, per-cpu mode counters, advanced on each scrape from the store's running pods."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self.seconds: dict[str, list[list[float]]] = {}  # node -> cpu -> [idle, user, system]
        self._last: dict[str, float] = {}
        self._requests: dict[str, int] = {}  # pod key -> CPU millicores (a pod's requests never change)
        self._prefixes: dict[str, list[str]] = {}  # node -> its sample lines up to the value, cpu by cpu, mode by mode

    def busy_cores(self) -> dict[str, float]:
        """Running pods' CPU requests per node, in cores."""
        busy: dict[str, float] = {}
        seen: set[str] = set()
        for rec in self.store.records(PODS):
            fields = rec.fields or {}
            node = fields.get("spec.nodeName")
            if not node or fields.get("status.phase") != "Running":
                continue
            seen.add(rec.key)
            millis = self._requests.get(rec.key)
            if millis is None:
                millis = self._requests[rec.key] = pod_cpu_millis(rec.obj())
            busy[node] = busy.get(node, 0.0) + millis / 1000
        for key in self._requests.keys() - seen:
            del self._requests[key]
        return busy

    def advance(self) -> None:
        now = self.clock()
        busy = self.busy_cores()
        nodes = set()
        for rec in self.store.records(NODES):
            nodes.add(rec.name)
            cpus = self.seconds.get(rec.name)
            if cpus is None:
                cpus = self.seconds[rec.name] = [[0.0, 0.0, 0.0] for _ in range(_vcpus(rec.obj()))]
                self._last[rec.name] = now
            dt = now - self._last[rec.name]
            self._last[rec.name] = now
            load = min(busy.get(rec.name, 0.0), len(cpus))
            for i, acc in enumerate(cpus):
                frac = min(1.0, max(0.0, load - i))
                acc[0] += dt * (1.0 - frac)
                acc[1] += dt * frac * USER_SHARE
                acc[2] += dt * frac * (1.0 - USER_SHARE)
        for gone in self.seconds.keys() - nodes:
            del self.seconds[gone]
            del self._last[gone]

    def family(self) -> Metric:
        """The reference family of the counters as they are (every sample through prometheus_client)."""
        family = _empty()
        for node, cpus in sorted(self.seconds.items()):
            instance = f"{node}:{PORT}"
            for i, acc in enumerate(cpus):
                for mode, value in zip(MODES, acc, strict=True):
                    family.add_metric([str(i), instance, mode], value)
        return family

    def collect(self) -> Iterator[Metric]:
        """The counters advanced to now, as `family` renders them: each node's label prefixes rendered once
        (see exposition.py for why), the values through prometheus_client's `floatToGoString`."""
        self.advance()
        parts: list[str] = []
        for node, cpus in sorted(self.seconds.items()):
            fixed = self._prefixes.get(node)
            if fixed is None or len(fixed) != len(cpus) * len(MODES):
                fixed = self._prefixes[node] = _prefixes(node, len(cpus))
            parts.append(with_values(fixed, itertools.chain.from_iterable(cpus)))
        for gone in self._prefixes.keys() - self.seconds.keys():
            del self._prefixes[gone]
        yield Prerendered(_empty(), "".join(parts))


def _empty() -> CounterMetricFamily:
    return CounterMetricFamily(
        "node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", labels=["cpu", "instance", "mode"]
    )


def _prefixes(node: str, vcpus: int) -> list[str]:
    """A node's sample lines as prometheus_client writes them, each cut before its value."""
    family = _empty()
    for i in range(vcpus):
        for mode in MODES:
            family.add_metric([str(i), f"{node}:{PORT}", mode], 0.0)
    return prefixes(sample_lines(family))
