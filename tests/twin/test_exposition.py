"""`/metrics`'s fast path (benchkit/twin/exposition.py) against prometheus_client's own `generate_latest`: the
same bytes for the same state, on a model with many nodes and pods in every phase, scrape after scrape while
pods change phase, come and go, and nodes change condition, come and go."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric

from benchkit.twin import metrics
from benchkit.twin.config import TwinOptions
from benchkit.twin.driver import Driver
from benchkit.twin.exporters import POD_PHASES, KubeStateMetrics
from benchkit.twin.exposition import Prerendered
from benchkit.twin.model import build_model
from benchkit.twin.node_exporter import NodeCpu
from benchkit.twin.record import Record
from benchkit.twin.resources import NAMESPACES, NODES, PODS
from benchkit.twin.restore import seed_cluster
from benchkit.twin.store import Store

NOW = 1000.0
NODES_N = 60
PHASES = (*POD_PHASES, None)  # None: no phase yet (kube-state-metrics' Unknown)
# label values prometheus_client escapes (quote, backslash, newline) or that hold a space
ODD = 'odd "node"\\ with\nspace'


def _pod(name: str, ns: str, node: str, phase: str | None, cpu: str = "1500m") -> dict[str, Any]:
    container = {"name": "c", "resources": {"requests": {"cpu": cpu}}}
    status = {"phase": phase} if phase else {}
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"nodeName": node, "containers": [container]},
            "status": status}  # fmt: skip


def _node(name: str, cpus: int) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": "True"}, {"type": 'Disk"Pressure\\', "status": "Unknown"}]
    return {"metadata": {"name": name}, "status": {"capacity": {"cpu": str(cpus)}, "conditions": conditions}}


class Twin:
    """A store seeded as the twin seeds it, and two collectors on it whose node-CPU clocks tick together: one
    with the fast path (`render`), one through prometheus_client only (`generate_latest`)."""

    def __init__(self) -> None:
        opts = TwinOptions()
        self.store = Store(100_000)
        model = build_model("fast", nodes=NODES_N, max_pods=opts.max_pods)
        seed_cluster(self.store, Driver(model, self.store), opts.namespaces, NOW)
        self.namespaces = opts.namespaces
        self.nodes = [rec.name for rec in self.store.records(NODES)]
        self.step = 1.25
        self.fast = self._registry(model, prerendered=True)
        self.reference = self._registry(model, prerendered=False)

    def _registry(self, model: Any, *, prerendered: bool) -> CollectorRegistry:
        collector = metrics.TwinCollector(metrics.RequestStats(), self.store, lambda: model.metrics(NOW),
                                          started=NOW, prerendered=prerendered)  # fmt: skip
        ticks = itertools.count()
        clock = 0.0

        def tick() -> float:
            nonlocal clock
            clock += self.step * (1 + next(ticks) % 3)
            return clock

        collector.node_cpu = NodeCpu(self.store, clock=tick)
        reg = CollectorRegistry()
        reg.register(collector)
        return reg

    def pages(self) -> tuple[bytes, bytes]:
        return metrics.render(self.fast), metrics.plain(self.reference)


@pytest.fixture(scope="module")
def twin() -> Twin:
    t = Twin()
    for i in range(600):
        ns = t.namespaces[i % len(t.namespaces)]
        t.store.create(PODS, _pod(f"pod-{i}", ns, t.nodes[i % len(t.nodes)], PHASES[i % len(PHASES)]), NOW)
    t.store.create(NODES, _node(ODD, 3), NOW)
    t.store.create(PODS, _pod(ODD.replace(" ", "-"), t.namespaces[0], ODD, "Running", "2"), NOW)
    return t


def _samples(page: bytes, family: str) -> list[bytes]:
    return [line for line in page.splitlines() if line.startswith(family.encode() + b"{")]


def test_fast_page_is_generate_latests_page_scrape_after_scrape(twin: Twin) -> None:
    store = twin.store
    for scrape in range(6):
        fast, reference = twin.pages()
        assert fast == reference, scrape
        # the state covers what the fast path renders: every phase, escaped labels, busy and idle cpus
        assert len(_samples(fast, "kube_pod_status_phase")) == 5 * store.count(PODS)
        cpus = [line.rsplit(b" ", 1) for line in _samples(fast, "node_cpu_seconds_total")]
        user = {value for labels, value in cpus if labels.endswith(b'mode="user"}')}
        assert scrape == 0 or (b"0.0" in user and len(user) > 1)  # idle cpus and busy ones
        assert b'node="odd \\"node\\"\\\\ with\\nspace"' in fast
        # change the state between scrapes
        pods = list(store.records(PODS))
        for n, rec in enumerate(pods[scrape::7]):
            status = {"phase": PHASES[(n + scrape) % len(PHASES)]} if (n + scrape) % len(PHASES) else {}
            store.update(PODS, rec.ns, rec.name, status)
        for rec in pods[3 + scrape :: 50]:
            store.delete(PODS, rec.ns, rec.name, NOW)
        store.create(PODS, _pod(f"new-{scrape}", twin.namespaces[1], twin.nodes[scrape], "Running", "3"), NOW)
        node = store.get(NODES, "", twin.nodes[scrape * 5])
        assert node is not None
        flipped = [{**c, "status": "False"} if c["type"] == "Ready" else c for c in node.obj()["status"]["conditions"]]
        store.update(NODES, "", node.name, {**node.obj()["status"], "conditions": flipped})
        if scrape == 2:
            store.delete(NODES, "", twin.nodes[-1], NOW)
            store.create(NODES, _node(f"late-{scrape}", 7), NOW)
        if scrape == 4:  # counters past 1e6 s: Go's exponent form (floatToGoString's other branch)
            twin.step = 2e6
    assert b'node_cpu_seconds_total{cpu="0",instance="late-2:9100",mode="idle"} ' in fast
    assert any(b"e+06" in line for line in _samples(fast, "node_cpu_seconds_total"))


def test_unchanged_objects_are_not_rendered_again() -> None:
    store = Store(1000)
    store.create(NAMESPACES, {"metadata": {"name": "a"}}, NOW)
    store.create(NODES, _node("n1", 2), NOW)
    for i in range(3):
        store.create(PODS, _pod(f"p{i}", "a", "n1", "Pending"), NOW)
    kube_state = KubeStateMetrics(store)
    rendered: list[str] = []

    def counted(family: Callable[[Record], Metric]) -> Callable[[Record], Metric]:
        def render(rec: Record) -> Metric:
            rendered.append(rec.name)
            return family(rec)

        return render

    for cache in (kube_state.pods, kube_state.nodes):
        cache.family = counted(cache.family)

    def scrape() -> list[str]:
        rendered.clear()
        list(kube_state.collect())
        return sorted(rendered)

    assert scrape() == ["n1", "p0", "p1", "p2"]
    assert scrape() == []

    def phase_lines() -> str:
        family = next(iter(kube_state.collect()))
        assert isinstance(family, Prerendered)
        return family.body

    before = phase_lines()
    store.update(PODS, "a", "p1", {"phase": "Running"})
    store.update(NODES, "", "n1", {"capacity": {"cpu": "2"}, "conditions": [{"type": "Ready", "status": "False"}]})
    assert scrape() == ["n1"]  # a pod's new phase changes its values, not its labels: no new rendering
    after = phase_lines()
    changed = {(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b}
    assert changed == {('kube_pod_status_phase{namespace="a",phase="Pending",pod="p1"} 1.0',
                        'kube_pod_status_phase{namespace="a",phase="Pending",pod="p1"} 0.0'),
                       ('kube_pod_status_phase{namespace="a",phase="Running",pod="p1"} 0.0',
                        'kube_pod_status_phase{namespace="a",phase="Running",pod="p1"} 1.0')}  # fmt: skip
    store.delete(PODS, "a", "p2", NOW)
    assert scrape() == []
    store.create(PODS, _pod("p2", "a", "n1", "Failed"), NOW)  # forgotten when deleted: rendered anew
    assert scrape() == ["p2"]
