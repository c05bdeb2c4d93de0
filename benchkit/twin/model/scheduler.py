"""A kube-scheduler stand-in: binds pods to Ready nodes by requests, maxPods, nodeSelector and taints;
pods that fit nowhere wait per shape and are retried only where capacity grew, so a full cluster is cheap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from benchkit.twin.model.apps import PodShape
from benchkit.twin.model.context import Ctx
from benchkit.twin.model.interface import PodUpdated
from benchkit.twin.model.nodes import Node
from benchkit.twin.model.pods import Pod, scheduled_status, unschedulable_status


def eligible(node: Node, shape: PodShape) -> bool:
    if not (node.ready and node.alive):
        return False
    labels = node.labels
    return all(labels.get(k) == v for k, v in shape.node_selector) and shape.tolerates(node.taints)


def fits(node: Node, shape: PodShape) -> bool:
    return node.free_pods >= 1 and node.free_cpu >= shape.cpu_m and node.free_mem >= shape.memory


class Scheduler:
    def __init__(self, ctx: Ctx, nodes: Callable[[], Iterable[Node]], on_bound: Callable[[Pod], None]) -> None:
        self._ctx = ctx
        self._nodes = nodes
        self._on_bound = on_bound
        self._pending: dict[PodShape, deque[Pod]] = {}
        self._eligible: dict[PodShape, tuple[int, list[Node]]] = {}
        self._rr: dict[PodShape, int] = {}
        # shape -> nodes that may have room (insertion-ordered, for determinism); None: unknown, scan all
        self._candidates: dict[PodShape, dict[Node, None] | None] = {}
        self.version = 0  # bumped when the set of Ready nodes changes
        self.pending_count = 0
        self.node_count = 0

    def submit(self, pod: Pod) -> None:
        """A new pod: try to bind it after the scheduler's latency."""
        self._ctx.events.after(self._ctx.jitter(self._ctx.profile.scheduler_latency), self._arrive, pod)

    def _arrive(self, pod: Pod, now: float) -> None:
        if not pod.alive or pod.node is not None:
            return
        queue = self._pending.get(pod.shape)
        if queue is not None and _head(queue) is not None:
            self._wait(queue, pod)  # an earlier pod of the same shape is still waiting: this one cannot fit either
            return
        node = self._find(pod.shape)
        if node is None:
            self._wait(self._pending.setdefault(pod.shape, deque()), pod)
        else:
            self._bind(pod, node)

    def _wait(self, queue: deque[Pod], pod: Pod) -> None:
        queue.append(pod)
        self.pending_count += 1
        if not pod.unschedulable:
            pod.unschedulable = True
            total = self.node_count
            fit = len(self._eligible_nodes(pod.shape))
            message = (
                f"0/{total} nodes are available: {fit} Insufficient cpu, memory or pods, {total - fit} node(s) "
                "didn't match Pod's node affinity/selector, had untolerated taint or were not ready."
            )
            status = unschedulable_status(self._ctx.ts(self._ctx.now), message)
            self._ctx.out.append(PodUpdated(pod.namespace, pod.name, status))

    def _eligible_nodes(self, shape: PodShape) -> list[Node]:
        cached = self._eligible.get(shape)
        if cached is None or cached[0] != self.version:
            cached = (self.version, [n for n in self._nodes() if eligible(n, shape)])
            self._eligible[shape] = cached
        return cached[1]

    def _find(self, shape: PodShape) -> Node | None:
        candidates = self._candidates.get(shape)
        if candidates is not None:  # known full except for these
            for node in list(candidates):
                if node.alive and node.ready and fits(node, shape):
                    return node
                del candidates[node]
            return None
        nodes = self._eligible_nodes(shape)
        start = self._rr.get(shape, 0)
        n = len(nodes)
        for i in range(n):
            node = nodes[(start + i) % n]
            if fits(node, shape):
                self._rr[shape] = (start + i + 1) % n
                return node
        self._candidates[shape] = {}
        return None

    def _bind(self, pod: Pod, node: Node) -> None:
        shape = pod.shape
        node.free_cpu -= shape.cpu_m
        node.free_mem -= shape.memory
        node.free_pods -= 1
        node.pods.add(pod.key)
        pod.node = node
        pod.holds = True
        pod.scheduled_at = self._ctx.now
        self._ctx.out.append(PodUpdated(pod.namespace, pod.name, scheduled_status(pod, self._ctx.ts), node.name))
        self._on_bound(pod)

    def release(self, pod: Pod) -> None:
        """The pod terminated or was deleted: its requests no longer count; waiting pods may now fit."""
        if pod.node is None:
            if not pod.alive and pod.unschedulable:
                self.pending_count -= 1  # a deleted waiting pod; it leaves its queue lazily
            return
        node = pod.node
        if not pod.alive:
            node.pods.discard(pod.key)
        if pod.holds:
            pod.holds = False
            shape = pod.shape
            node.free_cpu += shape.cpu_m
            node.free_mem += shape.memory
            node.free_pods += 1
            self.capacity_grew(node)

    def nodes_changed(self) -> None:
        self.version += 1
        self.node_count = sum(1 for _ in self._nodes())

    def capacity_grew(self, node: Node) -> None:
        """Place waiting pods on `node` (oldest first across shapes), then remember it as a candidate."""
        if not (node.alive and node.ready):
            return
        blocked: set[PodShape] = set()
        while True:
            best: Pod | None = None
            for shape, queue in self._pending.items():
                head = _head(queue)
                if head is None or shape in blocked or not eligible(node, shape):
                    continue
                if not fits(node, shape):
                    blocked.add(shape)
                    continue
                if best is None or head.seq < best.seq:
                    best = head
            if best is None:
                break
            self._pending[best.shape].popleft()
            self.pending_count -= 1
            self._bind(best, node)
        for shape, candidates in self._candidates.items():
            if candidates is not None and eligible(node, shape) and fits(node, shape):
                candidates[node] = None
                if 2 * len(candidates) > len(self._eligible_nodes(shape)):
                    self._candidates[shape] = None  # room is common again: back to round-robin spreading


def _head(queue: deque[Pod]) -> Pod | None:
    """The oldest live waiting pod (deleted pods leave lazily)."""
    while queue and not queue[0].alive:
        queue.popleft()
    return queue[0] if queue else None
